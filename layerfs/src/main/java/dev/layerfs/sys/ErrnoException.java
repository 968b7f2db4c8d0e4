package dev.layerfs.sys;

/**
 * A failed system call, or a union rule refusing an operation, carrying the errno the FUSE
 * adapter answers with. Stackless: ENOENT is an everyday answer on hot lookup paths, and a
 * stack walk per miss would cost more than the lookup itself.
 */
public final class ErrnoException extends Exception {

    private final int errno;

    public ErrnoException(int errno, String message) {
        super(message, null, false, false);
        this.errno = errno;
    }

    public int errno() {
        return errno;
    }

    @Override
    public String toString() {
        return getMessage() + " (" + Errno.name(errno) + ")";
    }
}
