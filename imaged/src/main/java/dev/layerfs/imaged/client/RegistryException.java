package dev.layerfs.imaged.client;

import java.io.IOException;

/**
 * The registry answered with an error. Carries the HTTP status and the OCI error code
 * ({@code MANIFEST_UNKNOWN}, {@code DIGEST_INVALID} …) and message from the response body.
 */
public class RegistryException extends IOException {

    private final int status;
    private final String code;

    public RegistryException(String what, int status, String code, String detail) {
        super(what + ": " + code + (detail == null || detail.isBlank() ? "" : " (" + detail + ")") + " [HTTP " + status + "]");
        this.status = status;
        this.code = code;
    }

    public int status() {
        return status;
    }

    /** The OCI error code, or {@code HTTP_<status>} when the registry sent none. */
    public String code() {
        return code;
    }

    /** True when the registry says the repository, tag or manifest does not exist. */
    public boolean isNotFound() {
        return status == 404 || code.equals("MANIFEST_UNKNOWN") || code.equals("NAME_UNKNOWN");
    }
}
