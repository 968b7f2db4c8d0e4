package dev.layerfs.imaged.layer;

import dev.layerfs.imaged.oci.Digest;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;

/** Counts and sha256-digests what is read through it (mark/reset unsupported, so nothing is hashed twice). */
public final class HashingInputStream extends FilterInputStream {

    private final MessageDigest md = Digest.sha256();
    private long count;
    private Digest digest;

    public HashingInputStream(InputStream in) {
        super(in);
    }

    @Override
    public int read() throws IOException {
        int b = in.read();
        if (b >= 0) {
            md.update((byte) b);
            count++;
        }
        return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        int n = in.read(b, off, len);
        if (n > 0) {
            md.update(b, off, n);
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
