package dev.layerfs.imaged.client;

import dev.layerfs.imaged.oci.Digest;
import java.util.regex.Pattern;

/**
 * An image reference as the CLI takes it: {@code REPO:TAG} or {@code REPO@sha256:HEX};
 * a bare {@code REPO} means tag {@code latest}. The repository and tag grammars are the OCI
 * Distribution Spec's; anything else is rejected with the offending value named.
 */
public record ImageRef(String repository, String reference) {

    private static final Pattern REPOSITORY =
            Pattern.compile("[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*)*");
    private static final Pattern TAG = Pattern.compile("[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}");

    public ImageRef {
        if (repository == null || repository.length() > 255 || !REPOSITORY.matcher(repository).matches()) {
            throw new IllegalArgumentException("invalid repository name '" + repository
                    + "' (lower-case letters, digits, and . _ - / between them)");
        }
        if (reference == null || !(TAG.matcher(reference).matches() || isDigest(reference))) {
            throw new IllegalArgumentException("invalid tag or digest '" + reference + "' in image reference");
        }
    }

    public static ImageRef parse(String value) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("missing image reference (expected REPO:TAG)");
        }
        try {
            int at = value.indexOf('@');
            if (at >= 0) {
                return new ImageRef(value.substring(0, at), value.substring(at + 1));
            }
            int colon = value.lastIndexOf(':');
            if (colon > value.lastIndexOf('/')) {
                return new ImageRef(value.substring(0, colon), value.substring(colon + 1));
            }
            return new ImageRef(value, "latest");
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("malformed image reference '" + value + "': " + e.getMessage(), e);
        }
    }

    public boolean isByDigest() {
        return isDigest(reference);
    }

    private static boolean isDigest(String reference) {
        try {
            Digest.parse(reference);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    @Override
    public String toString() {
        return repository + (isByDigest() ? "@" : ":") + reference;
    }
}
