package dev.layerfs.wire;

import jnr.ffi.Pointer;
import jnr.ffi.annotations.SaveError;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;

/**
 * The system calls the wire engine needs beyond {@link dev.layerfs.sys.LibC}: mounting and
 * unmounting, and moving whole FUSE messages between native buffers and /dev/fuse (one read(2)
 * per request, one write(2) per reply, as the protocol requires).
 */
@SaveError
public interface KernelCalls {

    long MS_NOSUID = 2;
    long MS_NODEV = 4;
    long MS_NOEXEC = 8;
    long MS_RDONLY = 1;
    long MS_SYNCHRONOUS = 16;
    long MS_DIRSYNC = 128;
    long MS_NOATIME = 1024;
    int MNT_DETACH = 2;

    int mount(String source, String target, String fstype, long flags, String data);

    int umount2(String target, int flags);

    @ssize_t long read(int fd, Pointer buf, @size_t long count);

    @ssize_t long write(int fd, Pointer buf, @size_t long count);
}
