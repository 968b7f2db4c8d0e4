package dev.layerfs.fuse;

import jnr.ffi.Pointer;
import jnr.ffi.Struct;
import ru.serce.jnrfuse.struct.FuseOperations;

/**
 * The capability bits at the end of libfuse 2's struct fuse_operations, which jnr-fuse 0.5.8
 * declares but never sets:
 * <ul>
 * <li>flag_nullpath_ok (bit 0): operations on an open file work without its path (layerfs
 *     serves them from the descriptor alone), should libfuse not be able to compute it.
 * <li>flag_utime_omit_ok (bit 2): UTIME_NOW and UTIME_OMIT reach utimens as they are;
 *     utimensat(2) understands them.
 * </ul>
 */
final class OperationFlags {

    /** After the 38 function pointers from getattr to bmap (64-bit Linux). */
    private static final long FLAGS_OFFSET = 38L * 8;
    private static final int NULLPATH_OK = 1;
    private static final int UTIME_OMIT_OK = 1 << 2;

    private OperationFlags() {
    }

    static void set(FuseOperations ops) {
        Pointer p = Struct.getMemory(ops);
        p.putByte(FLAGS_OFFSET, (byte) (p.getByte(FLAGS_OFFSET) | NULLPATH_OK | UTIME_OMIT_OK));
    }
}
