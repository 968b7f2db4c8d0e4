package dev.layerfs.mount;

/** A mount that cannot be made as asked; the message is one line naming the offending value. */
public final class MountException extends RuntimeException {

    public MountException(String message) {
        super(message);
    }

    public MountException(String message, Throwable cause) {
        super(message, cause);
    }
}
