package dev.layerfs.fsx;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;
import jnr.ffi.annotations.SaveError;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;

/**
 * The plain libc calls the tester makes, each answering 0 (or a count) or a negative errno.
 * Bound here on purpose rather than through layerfs's own {@code Fs}: the oracle must not share
 * code with what it checks, and java.nio hides errnos (no unlink of a directory, no EXDEV).
 */
final class Sys {

    static final int O_RDONLY = 0;
    static final int O_WRONLY = 1;
    static final int O_RDWR = 2;
    static final int O_CREAT = 0100;
    static final int O_EXCL = 0200;
    static final int O_TRUNC = 01000;
    static final int O_APPEND = 02000;
    static final int AT_FDCWD = -100;

    @SaveError
    public interface C {
        int open(String path, int flags, int mode);

        int close(int fd);

        @ssize_t long pread(int fd, @Out byte[] buf, @size_t long count, long offset);

        @ssize_t long pwrite(int fd, @In byte[] buf, @size_t long count, long offset);

        int fsync(int fd);

        int truncate(String path, long length);

        int rename(String from, String to);

        int link(String from, String to);

        int unlink(String path);

        int mkdir(String path, int mode);

        int rmdir(String path);

        int chmod(String path, int mode);

        int symlink(String target, String path);

        int utimensat(int dirfd, String path, @In long[] times, int flags);

        int chown(String path, int uid, int gid);

        int setxattr(String path, String name, @In byte[] value, @size_t long size, int flags);

        int removexattr(String path, String name);

        @ssize_t long lgetxattr(String path, String name, @Out byte[] value, @size_t long size);

        @ssize_t long llistxattr(String path, @Out byte[] list, @size_t long size);
    }

    private static final C LIBC = LibraryLoader.create(C.class).load("c");
    private static final Runtime RUNTIME = Runtime.getRuntime(LIBC);

    private Sys() {
    }

    static C c() {
        return LIBC;
    }

    /** {@code rc}, or minus the errno when {@code rc} says the call failed. */
    static long rc(long rc) {
        return rc < 0 ? -RUNTIME.getLastError() : rc;
    }

    static String errnoName(long negErrno) {
        int e = (int) -negErrno;
        return switch (e) {
            case 1 -> "EPERM";
            case 2 -> "ENOENT";
            case 5 -> "EIO";
            case 9 -> "EBADF";
            case 13 -> "EACCES";
            case 16 -> "EBUSY";
            case 17 -> "EEXIST";
            case 18 -> "EXDEV";
            case 20 -> "ENOTDIR";
            case 21 -> "EISDIR";
            case 22 -> "EINVAL";
            case 27 -> "EFBIG";
            case 28 -> "ENOSPC";
            case 30 -> "EROFS";
            case 36 -> "ENAMETOOLONG";
            case 39 -> "ENOTEMPTY";
            case 40 -> "ELOOP";
            case 61 -> "ENODATA";
            case 95 -> "EOPNOTSUPP";
            case 107 -> "ENOTCONN";
            default -> "errno" + e;
        };
    }
}
