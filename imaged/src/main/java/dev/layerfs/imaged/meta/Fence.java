package dev.layerfs.imaged.meta;

/**
 * A write made under a lease: refused unless {@code token} is still the lease's latest grant.
 * Sent with a manifest PUT as the headers {@code Imaged-Fence-Lease} and {@code Imaged-Fence-Token}.
 */
public record Fence(String lease, long token) {

    public static final String LEASE_HEADER = "Imaged-Fence-Lease";
    public static final String TOKEN_HEADER = "Imaged-Fence-Token";

    @Override
    public String toString() {
        return "lease " + lease + " token " + token;
    }
}
