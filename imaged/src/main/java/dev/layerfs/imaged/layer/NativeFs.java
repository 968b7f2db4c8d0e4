package dev.layerfs.imaged.layer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Map;
import java.util.TreeMap;
import jnr.ffi.LastError;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;

/**
 * The few file-system calls a layer needs that java.nio cannot make: device nodes, fifos,
 * owners and times of symlinks themselves, extended attributes in every namespace (nio only
 * reaches {@code user.*}, and never on a symlink), and syncfs. Every call acts on the link
 * itself, never following a symlink at the last component. Failures are IOExceptions naming
 * the path and the errno text.
 */
public final class NativeFs {

    /** The libc functions, bound once through jnr-ffi. */
    public interface LibC {
        int mknod(String path, int mode, long dev);

        int mkfifo(String path, int mode);

        int lchown(String path, int uid, int gid);

        int chmod(String path, int mode);

        int utimensat(int dirfd, String path, @In long[] times, int flags);

        int lsetxattr(String path, String name, @In byte[] value, @size_t long size, int flags);

        @ssize_t long llistxattr(String path, @Out byte[] list, @size_t long size);

        @ssize_t long lgetxattr(String path, String name, @Out byte[] value, @size_t long size);

        int symlink(String target, String linkpath);

        @ssize_t long readlink(String path, @Out byte[] buf, @size_t long size);

        int geteuid();

        int open(String path, int flags);

        int syncfs(int fd);

        int fsync(int fd);

        int close(int fd);

        String strerror(int errnum);
    }

    private static final int AT_FDCWD = -100;
    private static final int AT_SYMLINK_NOFOLLOW = 0x100;
    private static final int O_RDONLY = 0;
    private static final int O_DIRECTORY = 0200000;
    private static final int O_CLOEXEC = 02000000;
    private static final int ERANGE = 34;
    private static final int ENODATA = 61;

    private static final LibC LIBC = LibraryLoader.create(LibC.class).failImmediately().load("c");
    private static final Runtime RUNTIME = Runtime.getRuntime(LIBC);

    private NativeFs() {
    }

    public static boolean isRoot() {
        return LIBC.geteuid() == 0;
    }

    /** Linux {@code makedev}: the dev_t glibc builds from a major and minor number. */
    public static long makedev(long major, long minor) {
        return ((major & 0xfffff000L) << 32) | ((major & 0xfffL) << 8)
                | ((minor & 0xffffff00L) << 12) | (minor & 0xffL);
    }

    public static int major(long dev) {
        return (int) (((dev >>> 32) & 0xfffff000L) | ((dev >>> 8) & 0xfffL));
    }

    public static int minor(long dev) {
        return (int) (((dev >>> 12) & 0xffffff00L) | (dev & 0xffL));
    }

    /** Creates a device node; {@code mode} carries the file type bits (S_IFCHR / S_IFBLK). */
    public static void mknod(Path path, int mode, int major, int minor) throws IOException {
        check(LIBC.mknod(path.toString(), mode, makedev(major, minor)), "mknod", path);
    }

    public static void mkfifo(Path path, int mode) throws IOException {
        check(LIBC.mkfifo(path.toString(), mode & 07777), "mkfifo", path);
    }

    /**
     * Creates a symlink with exactly this target. java.nio would normalise the target as a Path
     * ({@code a//b} to {@code a/b}, a trailing slash dropped), which changes the layer's bytes.
     */
    public static void symlink(String target, Path link) throws IOException {
        check(LIBC.symlink(target, link.toString()), "symlink", link);
    }

    /** A symlink's target exactly as stored (see {@link #symlink}). */
    public static String readlink(Path link) throws IOException {
        for (int size = 256; ; size *= 4) {
            byte[] buf = new byte[size];
            long n = LIBC.readlink(link.toString(), buf, size);
            check(n, "readlink", link);
            if (n < size) {
                return new String(buf, 0, (int) n, StandardCharsets.UTF_8);
            }
        }
    }

    public static void lchown(Path path, int uid, int gid) throws IOException {
        check(LIBC.lchown(path.toString(), uid, gid), "lchown", path);
    }

    /** chmod with the set-id and sticky bits, which PosixFilePermission cannot express. */
    public static void chmod(Path path, int mode) throws IOException {
        check(LIBC.chmod(path.toString(), mode & 07777), "chmod", path);
    }

    /** Sets atime and mtime of the entry itself (a symlink is not followed). */
    public static void setTimes(Path path, FileTime mtime) throws IOException {
        long nanos = mtime.to(java.util.concurrent.TimeUnit.NANOSECONDS);
        long sec = Math.floorDiv(nanos, 1_000_000_000L);
        long nsec = Math.floorMod(nanos, 1_000_000_000L);
        long[] times = {sec, nsec, sec, nsec};
        check(LIBC.utimensat(AT_FDCWD, path.toString(), times, AT_SYMLINK_NOFOLLOW), "utimensat", path);
    }

    public static void setXattr(Path path, String name, byte[] value) throws IOException {
        check(LIBC.lsetxattr(path.toString(), name, value, value.length, 0), "lsetxattr " + name, path);
    }

    /** Every extended attribute of the entry itself, sorted by name (so packing is deterministic). */
    public static Map<String, byte[]> xattrs(Path path) throws IOException {
        Map<String, byte[]> result = new TreeMap<>();
        String p = path.toString();
        for (String name : xattrNames(p, path)) {
            byte[] value = xattrValue(p, name, path);
            if (value != null) {
                result.put(name, value);
            }
        }
        return result;
    }

    private static String[] xattrNames(String p, Path path) throws IOException {
        while (true) {
            long size = LIBC.llistxattr(p, null, 0);
            check(size, "llistxattr", path);
            if (size == 0) {
                return new String[0];
            }
            byte[] buf = new byte[(int) size];
            long n = LIBC.llistxattr(p, buf, buf.length);
            if (n < 0 && LastError.getLastError(RUNTIME) == ERANGE) {
                continue; // the list grew between the two calls
            }
            check(n, "llistxattr", path);
            String all = new String(buf, 0, (int) n, StandardCharsets.UTF_8);
            return all.isEmpty() ? new String[0] : all.split("\0");
        }
    }

    private static byte[] xattrValue(String p, String name, Path path) throws IOException {
        while (true) {
            long size = LIBC.lgetxattr(p, name, null, 0);
            if (size < 0 && LastError.getLastError(RUNTIME) == ENODATA) {
                return null; // removed meanwhile
            }
            check(size, "lgetxattr " + name, path);
            byte[] buf = new byte[(int) size];
            long n = LIBC.lgetxattr(p, name, buf, buf.length);
            if (n < 0 && LastError.getLastError(RUNTIME) == ERANGE) {
                continue;
            }
            check(n, "lgetxattr " + name, path);
            return n == buf.length ? buf : java.util.Arrays.copyOf(buf, (int) n);
        }
    }

    /** Flushes the whole file system holding {@code dir} (one syncfs instead of an fsync per file). */
    public static void syncFilesystem(Path dir) throws IOException {
        withDirFd(dir, fd -> check(LIBC.syncfs(fd), "syncfs", dir));
    }

    /** fsyncs a directory, so a rename into it is durable. */
    public static void fsyncDirectory(Path dir) throws IOException {
        withDirFd(dir, fd -> check(LIBC.fsync(fd), "fsync", dir));
    }

    private interface FdAction {
        void run(int fd) throws IOException;
    }

    private static void withDirFd(Path dir, FdAction action) throws IOException {
        int fd = LIBC.open(dir.toString(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        check(fd, "open", dir);
        try {
            action.run(fd);
        } finally {
            LIBC.close(fd);
        }
    }

    private static void check(long rc, String call, Path path) throws IOException {
        if (rc < 0) {
            int errno = LastError.getLastError(RUNTIME);
            throw new IOException(call + " " + path + ": " + LIBC.strerror(errno) + " (errno " + errno + ")");
        }
    }
}
