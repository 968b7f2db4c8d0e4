package dev.layerfs.imaged.oci;

/**
 * The OCI Distribution Spec error codes with the HTTP status each is answered with. UNAVAILABLE
 * is ours (as in distribution/distribution): the cluster cannot make a write durable right now.
 */
public enum ErrorCode {
    BLOB_UNKNOWN(404),
    BLOB_UPLOAD_INVALID(400),
    BLOB_UPLOAD_UNKNOWN(404),
    DIGEST_INVALID(400),
    MANIFEST_BLOB_UNKNOWN(400),
    MANIFEST_INVALID(400),
    MANIFEST_UNKNOWN(404),
    NAME_INVALID(400),
    NAME_UNKNOWN(404),
    SIZE_INVALID(400),
    UNAUTHORIZED(401),
    DENIED(403),
    UNSUPPORTED(405),
    TOOMANYREQUESTS(429),
    UNAVAILABLE(503);

    private final int status;

    ErrorCode(int status) {
        this.status = status;
    }

    /** The HTTP status the spec pairs with this code (a RegistryException may override it). */
    public int status() {
        return status;
    }
}
