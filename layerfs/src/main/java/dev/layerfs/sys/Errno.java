package dev.layerfs.sys;

/** Linux errno values (identical on every Linux architecture layerfs targets). */
public final class Errno {
    public static final int EPERM = 1;
    public static final int ENOENT = 2;
    public static final int EINTR = 4;
    public static final int EIO = 5;
    public static final int EBADF = 9;
    public static final int EAGAIN = 11;
    public static final int EACCES = 13;
    public static final int EBUSY = 16;
    public static final int EEXIST = 17;
    public static final int EXDEV = 18;
    public static final int ENOTDIR = 20;
    public static final int EISDIR = 21;
    public static final int EINVAL = 22;
    public static final int ENOSPC = 28;
    public static final int EROFS = 30;
    public static final int ERANGE = 34;
    public static final int ENOSYS = 38;
    public static final int ENOTEMPTY = 39;
    public static final int ELOOP = 40;
    public static final int ENODATA = 61;
    public static final int EOPNOTSUPP = 95;

    private Errno() {
    }

    public static String name(int errno) {
        try {
            return jnr.constants.platform.Errno.valueOf(errno).name();
        } catch (RuntimeException e) {
            return "errno " + errno;
        }
    }

    /** The C library's description, e.g. "No such file or directory". */
    public static String describe(int errno) {
        try {
            return jnr.constants.platform.Errno.valueOf(errno).description();
        } catch (RuntimeException e) {
            return "errno " + errno;
        }
    }
}
