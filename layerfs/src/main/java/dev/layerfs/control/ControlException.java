package dev.layerfs.control;

/** A branch change refused, or no daemon to ask; the message is one line naming the branch or socket. */
public final class ControlException extends RuntimeException {

    public ControlException(String message) {
        super(message);
    }

    public ControlException(String message, Throwable cause) {
        super(message, cause);
    }
}
