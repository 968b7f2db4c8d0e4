package dev.layerfs.union;

import dev.layerfs.sys.Errno;
import dev.layerfs.sys.ErrnoException;
import dev.layerfs.sys.Fs;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.util.OptionalLong;

/**
 * The union inode number a copy-up carries, kept on the copy itself as the extended attribute
 * {@value #XATTR} (8 bytes, big-endian), so the copied file shows the number it had in its lower
 * branch again after a remount. The attribute is layerfs's own: never listed, read, set or
 * removed through the mount. Setting {@code trusted.*} needs CAP_SYS_ADMIN; without it (a
 * daemon not run as root) nothing is recorded and a copy shows its own number after a remount.
 */
public final class InodeOrigin {

    private static final Logger LOG = LoggerFactory.getLogger(InodeOrigin.class);
    public static final String XATTR = "trusted.layerfs.ino";
    private static volatile boolean warned;

    private InodeOrigin() {
    }

    /** Whether {@code attr} is layerfs bookkeeping, hidden from the mount's users. */
    public static boolean isReserved(String attr) {
        return attr.startsWith("trusted.layerfs.");
    }

    /** Reads the number recorded on {@code name} in {@code dirFd}; the caller makes sure it is not a symlink. */
    static OptionalLong read(int dirFd, String name) throws ErrnoException {
        return read(() -> Fs.getxattrAt(dirFd, name, XATTR));
    }

    static OptionalLong readFd(int fd) throws ErrnoException {
        return read(() -> Fs.getxattr(fd, XATTR));
    }

    private interface Getter {
        byte[] get() throws ErrnoException;
    }

    private static OptionalLong read(Getter getter) throws ErrnoException {
        byte[] v;
        try {
            v = getter.get();
        } catch (ErrnoException e) {
            if (e.errno() == Errno.EOPNOTSUPP || e.errno() == Errno.EPERM) {
                return OptionalLong.empty();
            }
            throw e;
        }
        return v != null && v.length == Long.BYTES ? OptionalLong.of(ByteBuffer.wrap(v).getLong()) : OptionalLong.empty();
    }

    /** Records {@code number} on {@code name} in {@code dirFd}, if the branch file system lets us. */
    static void record(int dirFd, String name, long number) throws ErrnoException {
        int fd = Fs.open(dirFd, name, Fs.O_PATH | Fs.O_NOFOLLOW, 0);
        try {
            record(number, v -> Fs.setxattr(fd, XATTR, v, 0));
        } finally {
            Fs.close(fd);
        }
    }

    /** As {@link #record(int, String, long)}, on a file open for writing. */
    static void recordFd(int fd, long number) throws ErrnoException {
        record(number, v -> Fs.fsetxattr(fd, XATTR, v, 0));
    }

    private interface Setter {
        void set(byte[] value) throws ErrnoException;
    }

    private static void record(long number, Setter setter) throws ErrnoException {
        try {
            setter.set(ByteBuffer.allocate(Long.BYTES).putLong(number).array());
        } catch (ErrnoException e) {
            if (e.errno() != Errno.EOPNOTSUPP && e.errno() != Errno.EPERM) {
                throw e;
            }
            if (!warned) {
                warned = true;
                LOG.warn("the writable branch refuses {} ({}): copied-up files keep their inode number only until unmount",
                        XATTR, e.toString());
            }
        }
    }
}
