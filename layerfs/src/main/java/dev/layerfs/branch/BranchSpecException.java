package dev.layerfs.branch;

/** A {@code dirs=} specification that cannot be mounted; the message names the offending value. */
public final class BranchSpecException extends IllegalArgumentException {

    public BranchSpecException(String message) {
        super(message);
    }
}
