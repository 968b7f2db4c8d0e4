package dev.layerfs.sys;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.constants.platform.OpenFlags;

import java.nio.charset.Charset;
import java.util.ArrayList;
import java.util.List;

/**
 * Descriptor-relative file system calls. Every name is resolved against a directory descriptor
 * and never follows a symlink in its last component, so layerfs itself never leaves a branch.
 * Failures throw {@link ErrnoException} naming the call and the name; the {@code ...OrNull}
 * variants answer "not there" without an exception, for the hot lookup paths.
 */
public final class Fs {

    public static final int AT_SYMLINK_NOFOLLOW = 0x100;
    public static final int AT_REMOVEDIR = 0x200;
    public static final int AT_EMPTY_PATH = 0x1000;

    public static final int O_RDONLY = 0;
    public static final int O_WRONLY = 1;
    public static final int O_RDWR = 2;
    public static final int O_ACCMODE = 3;
    public static final int O_CREAT = 0100;
    public static final int O_EXCL = 0200;
    public static final int O_TRUNC = 01000;
    public static final int O_APPEND = 02000;
    public static final int O_NONBLOCK = 04000;
    public static final int O_CLOEXEC = 02000000;
    public static final int O_PATH = 010000000;
    public static final int O_DIRECTORY = OpenFlags.O_DIRECTORY.intValue();
    public static final int O_NOFOLLOW = OpenFlags.O_NOFOLLOW.intValue();

    private static final int STATX_BASIC_STATS = 0x7ff;

    /**
     * How names become Java strings and back: the JVM's default charset, which is also what
     * jnr-fuse and jnr-ffi use for every path. Linux names are bytes, so the daemon runs with
     * ISO-8859-1 (one char per byte): every name, valid UTF-8 or not, passes through unchanged.
     */
    public static final Charset NAMES = Charset.defaultCharset();

    private static final LibC C = LibraryLoader.create(LibC.class).load("c");
    private static final Runtime RUNTIME = Runtime.getRuntime(C);

    private static final ThreadLocal<byte[]> STAT_BUFFER = ThreadLocal.withInitial(() -> new byte[Stat.BUFFER_SIZE]);

    private Fs() {
    }

    public static int errno() {
        return RUNTIME.getLastError();
    }

    private static ErrnoException fail(String call, String name) {
        int e = errno();
        return new ErrnoException(e, call + " " + name + ": " + Errno.describe(e));
    }

    private static void check(int rc, String call, String name) throws ErrnoException {
        if (rc < 0) {
            throw fail(call, name);
        }
    }

    public static int open(int dirfd, String name, int flags, int mode) throws ErrnoException {
        int fd = C.openat(dirfd, name, flags | O_CLOEXEC, mode);
        check(fd, "open", name);
        return fd;
    }

    /** {@link #openDirectory}: the name does not exist. */
    public static final int NOT_FOUND = -1;
    /** {@link #openDirectory}: the name exists but is not a directory (a symlink to one is not). */
    public static final int NOT_A_DIRECTORY = -2;

    /**
     * A path-only descriptor on the directory {@code name} under {@code dirfd}, or
     * {@link #NOT_FOUND} or {@link #NOT_A_DIRECTORY}: one system call answers all three.
     */
    public static int openDirectory(int dirfd, String name) throws ErrnoException {
        int fd = C.openat(dirfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
        if (fd < 0) {
            int e = errno();
            if (e == Errno.ENOENT) {
                return NOT_FOUND;
            }
            if (e == Errno.ENOTDIR) {
                return NOT_A_DIRECTORY;
            }
            throw new ErrnoException(e, "open directory " + name + ": " + Errno.describe(e));
        }
        return fd;
    }

    public static void close(int fd) {
        if (fd >= 0) {
            C.close(fd);
        }
    }

    public static Stat stat(int dirfd, String name) throws ErrnoException {
        byte[] buf = STAT_BUFFER.get();
        check(C.statx(dirfd, name, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, buf), "stat", name);
        return Stat.parse(buf);
    }

    /** The entry's status, or null when the name does not exist there. */
    public static Stat statOrNull(int dirfd, String name) throws ErrnoException {
        byte[] buf = STAT_BUFFER.get();
        if (C.statx(dirfd, name, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, buf) < 0) {
            int e = errno();
            if (e == Errno.ENOENT || e == Errno.ENOTDIR) {
                return null;
            }
            throw new ErrnoException(e, "stat " + name + ": " + Errno.describe(e));
        }
        return Stat.parse(buf);
    }

    public static boolean exists(int dirfd, String name) throws ErrnoException {
        byte[] buf = STAT_BUFFER.get();
        if (C.statx(dirfd, name, AT_SYMLINK_NOFOLLOW, 0, buf) < 0) {
            int e = errno();
            if (e == Errno.ENOENT || e == Errno.ENOTDIR) {
                return false;
            }
            throw new ErrnoException(e, "stat " + name + ": " + Errno.describe(e));
        }
        return true;
    }

    public static Stat fstat(int fd) throws ErrnoException {
        byte[] buf = STAT_BUFFER.get();
        check(C.statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, buf), "fstat", "fd " + fd);
        return Stat.parse(buf);
    }

    public static void mkdir(int dirfd, String name, int mode) throws ErrnoException {
        check(C.mkdirat(dirfd, name, mode), "mkdir", name);
    }

    public static void unlink(int dirfd, String name) throws ErrnoException {
        check(C.unlinkat(dirfd, name, 0), "unlink", name);
    }

    public static void rmdir(int dirfd, String name) throws ErrnoException {
        check(C.unlinkat(dirfd, name, AT_REMOVEDIR), "rmdir", name);
    }

    public static void rename(int fromDir, String from, int toDir, String to) throws ErrnoException {
        check(C.renameat(fromDir, from, toDir, to), "rename", from + " to " + to);
    }

    public static void link(int fromDir, String from, int toDir, String to) throws ErrnoException {
        check(C.linkat(fromDir, from, toDir, to, 0), "link", from + " to " + to);
    }

    public static void symlink(String target, int dirfd, String name) throws ErrnoException {
        check(C.symlinkat(target, dirfd, name), "symlink", name);
    }

    public static byte[] readlink(int dirfd, String name) throws ErrnoException {
        byte[] buf = new byte[4096];
        long n = C.readlinkat(dirfd, name, buf, buf.length);
        if (n < 0) {
            throw fail("readlink", name);
        }
        return java.util.Arrays.copyOf(buf, (int) n);
    }

    public static void chmod(int dirfd, String name, int mode) throws ErrnoException {
        check(C.fchmodat(dirfd, name, mode, 0), "chmod", name);
    }

    public static void chown(int dirfd, String name, int uid, int gid) throws ErrnoException {
        check(C.fchownat(dirfd, name, uid, gid, AT_SYMLINK_NOFOLLOW), "chown", name);
    }

    /** times: atime sec, atime nsec, mtime sec, mtime nsec (UTIME_NOW / UTIME_OMIT allowed). */
    public static void utimens(int dirfd, String name, long[] times) throws ErrnoException {
        check(C.utimensat(dirfd, name, times, AT_SYMLINK_NOFOLLOW), "utimens", name);
    }

    public static void mknod(int dirfd, String name, int mode, long dev) throws ErrnoException {
        check(C.mknodat(dirfd, name, mode, dev), "mknod", name);
    }

    public static void fchown(int fd, int uid, int gid) throws ErrnoException {
        check(C.fchown(fd, uid, gid), "fchown", "fd " + fd);
    }

    public static void fchmod(int fd, int mode) throws ErrnoException {
        check(C.fchmod(fd, mode), "fchmod", "fd " + fd);
    }

    /** As {@link #utimens}, on an open file. */
    public static void futimens(int fd, long[] times) throws ErrnoException {
        check(C.futimens(fd, times), "futimens", "fd " + fd);
    }

    public static void fsync(int fd, boolean dataOnly) throws ErrnoException {
        check(dataOnly ? C.fdatasync(fd) : C.fsync(fd), "fsync", "fd " + fd);
    }

    public static void ftruncate(int fd, long size) throws ErrnoException {
        check(C.ftruncate(fd, size), "truncate", "fd " + fd);
    }

    public static int pread(int fd, Pointer buf, long size, long offset) throws ErrnoException {
        long n = C.pread(fd, buf, size, offset);
        if (n < 0) {
            throw fail("read", "fd " + fd);
        }
        return (int) n;
    }

    public static int pwrite(int fd, Pointer buf, long size, long offset) throws ErrnoException {
        long n = C.pwrite(fd, buf, size, offset);
        if (n < 0) {
            throw fail("write", "fd " + fd);
        }
        return (int) n;
    }

    /**
     * Copies {@code in} to {@code out} from their current offsets until end of file or
     * {@code limit} bytes, in the kernel where it can (copy_file_range), by read/write otherwise.
     */
    public static void copyData(int in, int out, long limit) throws ErrnoException {
        long left = limit;
        while (left > 0) {
            long n = C.copy_file_range(in, null, out, null, Math.min(left, 1L << 30), 0);
            if (n < 0) {
                int e = errno();
                if (e == Errno.EXDEV || e == Errno.EINVAL || e == Errno.ENOSYS || e == Errno.EOPNOTSUPP) {
                    copyByReadWrite(in, out, left);
                    return;
                }
                throw new ErrnoException(e, "copy_file_range: " + Errno.describe(e));
            }
            if (n == 0) {
                return;
            }
            left -= n;
        }
    }

    private static void copyByReadWrite(int in, int out, long limit) throws ErrnoException {
        byte[] buf = new byte[128 * 1024];
        long left = limit;
        while (left > 0) {
            long n = C.read(in, buf, Math.min(buf.length, left));
            if (n < 0) {
                throw fail("read", "copy source");
            }
            if (n == 0) {
                return;
            }
            long off = 0;
            while (off < n) {
                byte[] chunk = off == 0 ? buf : java.util.Arrays.copyOfRange(buf, (int) off, (int) n);
                long w = C.write(out, chunk, n - off);
                if (w < 0) {
                    throw fail("write", "copy target");
                }
                off += w;
            }
            left -= n;
        }
    }

    public static void fstatvfs(int fd, Pointer statvfs) throws ErrnoException {
        check(C.fstatvfs(fd, statvfs), "statfs", "fd " + fd);
    }

    public static int umask(int mask) {
        return C.umask(mask);
    }

    /** One entry of a directory listing: its name, d_type (DT_DIR = 4, DT_REG = 8, ...) and inode number. */
    public record DirEntry(String name, int type, long ino) {

        /** The S_IF* file type bits for this entry's d_type (0 when the file system did not say). */
        public int modeType() {
            return type == 0 ? 0 : type << 12;
        }
    }

    /** The names in directory {@code name} under {@code dirfd}, without "." and "..". */
    public static List<DirEntry> list(int dirfd, String name) throws ErrnoException {
        int fd = open(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0);
        Pointer dir = C.fdopendir(fd);
        if (dir == null) {
            ErrnoException e = fail("opendir", name);
            C.close(fd);
            throw e;
        }
        try {
            List<DirEntry> out = new ArrayList<>();
            while (true) {
                Pointer ent = C.readdir(dir);
                if (ent == null) {
                    return out;
                }
                // struct dirent (64-bit glibc): d_ino 8, d_off 8, d_reclen 2, d_type 1, d_name
                String n = ent.getString(19, 256, NAMES);
                if (!n.equals(".") && !n.equals("..")) {
                    out.add(new DirEntry(n, ent.getByte(18) & 0xff, ent.getLong(0)));
                }
            }
        } finally {
            C.closedir(dir);
        }
    }

    // Extended attributes. Linux has no *at form in glibc, so they go through the magic link of a
    // path-only descriptor (/proc/self/fd/N), which names exactly that inode and follows nothing.

    public static String procPath(int fd) {
        return "/proc/self/fd/" + fd;
    }

    /** The value, or null when the attribute does not exist. */
    public static byte[] getxattr(int pathFd, String attr) throws ErrnoException {
        String p = procPath(pathFd);
        return getxattr((b, n) -> C.getxattr(p, attr, b, n), attr);
    }

    /**
     * As {@link #getxattr}, on entry {@code name} (one component, not followed if a symlink) of
     * directory {@code dirFd}: through the directory's magic link, so the entry needs no
     * descriptor of its own.
     */
    public static byte[] getxattrAt(int dirFd, String name, String attr) throws ErrnoException {
        String p = procPath(dirFd) + "/" + name;
        return getxattr((b, n) -> C.lgetxattr(p, attr, b, n), attr);
    }

    /** As {@link #listxattr}, on entry {@code name} of directory {@code dirFd} (see {@link #getxattrAt}). */
    public static List<String> listxattrAt(int dirFd, String name) throws ErrnoException {
        String p = procPath(dirFd) + "/" + name;
        return listxattr((b, n) -> C.llistxattr(p, b, n), p);
    }

    /** As {@link #getxattr}, on a file open for reading or writing (not path-only): no magic link to walk. */
    public static byte[] fgetxattr(int fd, String attr) throws ErrnoException {
        return getxattr((b, n) -> C.fgetxattr(fd, attr, b, n), attr);
    }

    /** One xattr read into a buffer ({@code null} and 0 ask for the size). */
    private interface XattrCall {
        long call(byte[] buf, long size);
    }

    private static byte[] getxattr(XattrCall get, String attr) throws ErrnoException {
        byte[] buf = new byte[256];
        while (true) {
            long n = get.call(buf, buf.length);
            if (n >= 0) {
                return java.util.Arrays.copyOf(buf, (int) n);
            }
            int e = errno();
            if (e == Errno.ENODATA) {
                return null;
            }
            if (e != Errno.ERANGE) {
                throw new ErrnoException(e, "getxattr " + attr + ": " + Errno.describe(e));
            }
            long size = get.call(null, 0);
            if (size < 0) {
                throw fail("getxattr", attr);
            }
            buf = new byte[(int) size + 16];
        }
    }

    public static List<String> listxattr(int pathFd) throws ErrnoException {
        String p = procPath(pathFd);
        return listxattr((b, n) -> C.listxattr(p, b, n), p);
    }

    /** As {@link #listxattr}, on a file open for reading or writing (not path-only). */
    public static List<String> flistxattr(int fd) throws ErrnoException {
        return listxattr((b, n) -> C.flistxattr(fd, b, n), "fd " + fd);
    }

    private static List<String> listxattr(XattrCall list, String p) throws ErrnoException {
        byte[] buf = new byte[1024];
        long n;
        while ((n = list.call(buf, buf.length)) < 0) {
            int e = errno();
            if (e == Errno.EOPNOTSUPP) {
                return List.of();
            }
            if (e != Errno.ERANGE) {
                throw new ErrnoException(e, "listxattr: " + Errno.describe(e));
            }
            long size = list.call(null, 0);
            if (size < 0) {
                throw fail("listxattr", p);
            }
            buf = new byte[(int) size + 64];
        }
        List<String> names = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < n; i++) {
            if (buf[i] == 0) {
                if (i > start) {
                    names.add(new String(buf, start, i - start, NAMES));
                }
                start = i + 1;
            }
        }
        return names;
    }

    public static void setxattr(int pathFd, String attr, byte[] value, int flags) throws ErrnoException {
        check(C.setxattr(procPath(pathFd), attr, value, value.length, flags), "setxattr", attr);
    }

    /** As {@link #setxattr}, on a file open for reading or writing (not path-only). */
    public static void fsetxattr(int fd, String attr, byte[] value, int flags) throws ErrnoException {
        check(C.fsetxattr(fd, attr, value, value.length, flags), "fsetxattr", attr);
    }

    public static void removexattr(int pathFd, String attr) throws ErrnoException {
        check(C.removexattr(procPath(pathFd), attr), "removexattr", attr);
    }
}
