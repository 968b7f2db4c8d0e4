package dev.layerfs.cli;

/** A mistake in what the user asked for: reported as one line, exit status 2, nothing changed. */
public class UserError extends RuntimeException {

    public UserError(String message) {
        super(message);
    }

    public UserError(String message, Throwable cause) {
        super(message, cause);
    }
}
