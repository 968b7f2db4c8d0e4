package dev.layerfs.imaged.oci;

import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * A content digest, {@code sha256:<64 hex>}: the one place that parses, validates and computes
 * them. Only sha256 is accepted (it is what every OCI client sends); anything else is rejected
 * by {@link #parse} with a message that names the offending value.
 */
public record Digest(String algorithm, String hex) {

    public static final String SHA256 = "sha256";
    private static final Pattern SHA256_HEX = Pattern.compile("[a-f0-9]{64}");

    public Digest {
        if (!SHA256.equals(algorithm)) {
            throw new IllegalArgumentException("unsupported digest algorithm '" + algorithm + "' (only sha256)");
        }
        if (hex == null || !SHA256_HEX.matcher(hex).matches()) {
            throw new IllegalArgumentException("malformed sha256 digest hex '" + hex + "'");
        }
    }

    /** Parses {@code sha256:<hex>}; throws IllegalArgumentException naming the value when malformed. */
    public static Digest parse(String value) {
        if (value == null) {
            throw new IllegalArgumentException("missing digest");
        }
        int colon = value.indexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("malformed digest '" + value + "' (expected sha256:<hex>)");
        }
        return new Digest(value.substring(0, colon), value.substring(colon + 1));
    }

    public static Digest of(byte[] content) {
        return new Digest(SHA256, HexFormat.of().formatHex(sha256().digest(content)));
    }

    /** Digests a stream to its end; the caller closes it. */
    public static Digest of(InputStream in) throws IOException {
        MessageDigest md = sha256();
        byte[] buf = new byte[1 << 16];
        for (int n; (n = in.read(buf)) > 0; ) {
            md.update(buf, 0, n);
        }
        return fromMessageDigest(md);
    }

    /** A fresh sha256 MessageDigest, for callers that digest while they stream. */
    public static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JVM has no SHA-256", e);
        }
    }

    public static Digest fromMessageDigest(MessageDigest md) {
        return new Digest(SHA256, HexFormat.of().formatHex(md.digest()));
    }

    /** The file name fan-out used by stores: {@code sha256/ab/abcdef…}. */
    public String relativePath() {
        return algorithm + "/" + hex.substring(0, 2) + "/" + hex;
    }

    @Override
    public String toString() {
        return algorithm + ":" + hex;
    }
}
