package dev.layerfs.imaged.oci;

/**
 * A request the registry refuses, carrying the spec's error code and the HTTP status to answer
 * with; the message names the offending repository, digest or value.
 */
public class RegistryException extends RuntimeException {

    private final ErrorCode code;
    private final int status;
    private final String detail;

    public RegistryException(ErrorCode code, String message) {
        this(code, code.status(), message, null);
    }

    public RegistryException(ErrorCode code, int status, String message, String detail) {
        super(message);
        this.code = code;
        this.status = status;
        this.detail = detail;
    }

    public ErrorCode code() {
        return code;
    }

    public int status() {
        return status;
    }

    /** Optional structured detail for the error JSON (e.g. the missing digest); may be null. */
    public String detail() {
        return detail;
    }
}
