package dev.layerfs.imaged.layer;

import dev.layerfs.imaged.oci.Digest;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;

/** Counts and sha256-digests what is read through it (mark/reset unsupported, so nothing is hashed twice). */
public final class HashingInputStream extends FilterInputStream {

    private final MessageDigest md;
    private long count;
    private Digest digest;

    public HashingInputStream(InputStream in) {
        super(in);
        this.md = Digest.sha256();
    }

    private HashingInputStream(InputStream in, Digest known) {
        super(in);
        this.md = null;
        this.digest = known;
    }

    /**
     * Counts only, for bytes whose digest {@code known} is already being checked by the stream
     * they come from (which fails before its end otherwise): no second sha256 of the same bytes.
     */
    public static HashingInputStream alreadyVerified(InputStream in, Digest known) {
        return new HashingInputStream(in, known);
    }

    @Override
    public int read() throws IOException {
        int b = in.read();
        if (b >= 0 && md != null) {
            md.update((byte) b);
        }
        if (b >= 0) {
            count++;
        }
        return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        int n = in.read(b, off, len);
        if (n > 0 && md != null) {
            md.update(b, off, n);
        }
        if (n > 0) {
            count += n;
        }
        return n;
    }

    @Override
    public long skip(long n) throws IOException {
        byte[] buf = new byte[(int) Math.min(n, 8192)];
        int r = read(buf, 0, buf.length);
        return Math.max(r, 0);
    }

    @Override
    public boolean markSupported() {
        return false;
    }

    @Override
    public synchronized void mark(int readlimit) {
    }

    @Override
    public synchronized void reset() throws IOException {
        throw new IOException("reset not supported");
    }

    public long count() {
        return count;
    }

    /** The digest of everything read; fixed by the first call, so call it at the end. */
    public Digest digest() {
        if (digest == null) {
            digest = Digest.fromMessageDigest(md);
        }
        return digest;
    }
}
