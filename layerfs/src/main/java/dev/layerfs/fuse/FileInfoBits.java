package dev.layerfs.fuse;

import jnr.ffi.Pointer;
import jnr.ffi.Struct;
import ru.serce.jnrfuse.struct.FuseFileInfo;

/**
 * The bit fields of libfuse 2's struct fuse_file_info, which jnr-fuse 0.5.8 maps at the wrong
 * place (it forgets the {@code writepage} int). On 64-bit Linux the word holding direct_io
 * (bit 0) and keep_cache (bit 1) sits at offset 20, after flags (0), fh_old (8), writepage (16).
 */
final class FileInfoBits {

    private static final int BITS_OFFSET = 20;
    private static final int DIRECT_IO = 1;

    private FileInfoBits() {
    }

    static void setDirectIo(FuseFileInfo fi) {
        Pointer p = Struct.getMemory(fi);
        p.putInt(BITS_OFFSET, p.getInt(BITS_OFFSET) | DIRECT_IO);
    }
}
