package dev.layerfs.sys;

import jnr.ffi.Pointer;
import jnr.ffi.annotations.Out;
import jnr.ffi.annotations.SaveError;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;

/**
 * The libc calls layerfs needs, bound directly with jnr-ffi: jnr-posix 3.1.20 offers utimensat
 * but none of openat, mkdirat, unlinkat, renameat, linkat, symlinkat, readlinkat, fchownat,
 * mknodat or statx. Every name here is resolved relative to a directory descriptor.
 */
@SaveError
public interface LibC {
    int openat(int dirfd, String path, int flags, int mode);

    int close(int fd);

    int statx(int dirfd, String path, int flags, int mask, @Out byte[] buf);

    int mkdirat(int dirfd, String path, int mode);

    int unlinkat(int dirfd, String path, int flags);

    int renameat(int olddirfd, String oldpath, int newdirfd, String newpath);

    int linkat(int olddirfd, String oldpath, int newdirfd, String newpath, int flags);

    int symlinkat(String target, int newdirfd, String linkpath);

    @ssize_t long readlinkat(int dirfd, String path, @Out byte[] buf, @size_t long size);

    int fchmodat(int dirfd, String path, int mode, int flags);

    int fchownat(int dirfd, String path, int uid, int gid, int flags);

    int utimensat(int dirfd, String path, long[] times, int flags);

    int mknodat(int dirfd, String path, int mode, long dev);

    @ssize_t long pread(int fd, Pointer buf, @size_t long count, long offset);

    @ssize_t long pwrite(int fd, Pointer buf, @size_t long count, long offset);

    @ssize_t long read(int fd, @Out byte[] buf, @size_t long count);

    @ssize_t long write(int fd, byte[] buf, @size_t long count);

    @ssize_t long copy_file_range(int fdIn, Pointer offIn, int fdOut, Pointer offOut, @size_t long len, int flags);

    int fsync(int fd);

    int fdatasync(int fd);

    int ftruncate(int fd, long length);

    int fstatvfs(int fd, Pointer buf);

    int fchown(int fd, int uid, int gid);

    int umask(int mask);

    Pointer fdopendir(int fd);

    Pointer readdir(Pointer dir);

    int closedir(Pointer dir);

    @ssize_t long getxattr(String path, String name, @Out byte[] value, @size_t long size);

    @ssize_t long listxattr(String path, @Out byte[] list, @size_t long size);

    int setxattr(String path, String name, byte[] value, @size_t long size, int flags);

    int removexattr(String path, String name);

    @ssize_t long lgetxattr(String path, String name, @Out byte[] value, @size_t long size);

    @ssize_t long llistxattr(String path, @Out byte[] list, @size_t long size);

    int fchmod(int fd, int mode);

    int futimens(int fd, long[] times);

    @ssize_t long fgetxattr(int fd, String name, @Out byte[] value, @size_t long size);

    @ssize_t long flistxattr(int fd, @Out byte[] list, @size_t long size);

    int fsetxattr(int fd, String name, byte[] value, @size_t long size, int flags);
}
