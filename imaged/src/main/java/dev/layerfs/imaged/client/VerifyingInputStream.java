package dev.layerfs.imaged.client;

import dev.layerfs.imaged.oci.Digest;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;

/**
 * Passes a blob through while checking it is what the manifest promised: never more than
 * {@code size} bytes, and at the end exactly {@code size} bytes with digest {@code digest}.
 * A mismatch is an IOException at the read that discovers it, so a consumer that reads to the
 * end (the layer unpacker does) never accepts a wrong blob.
 */
public final class VerifyingInputStream extends FilterInputStream {

    private final Digest expected;
    private final long size;
    private final MessageDigest md = Digest.sha256();
    private long count;
    private boolean verified;
    private IOException refusal;

    public VerifyingInputStream(InputStream in, Digest expected, long size) {
        super(in);
        this.expected = expected;
        this.size = size;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        int n = in.read(b, off, len);
        if (n < 0) {
            verifyAtEnd();
            return -1;
        }
        count += n;
        if (count > size) {
            throw new IOException("blob " + expected + " is longer than the " + size + " bytes its descriptor says");
        }
        md.update(b, off, n);
        return n;
    }

    @Override
    public long skip(long n) throws IOException {
        byte[] buf = new byte[(int) Math.min(Math.max(n, 0), 8192)];
        int r = read(buf, 0, buf.length);
        return Math.max(r, 0);
    }

    @Override
    public boolean markSupported() {
        return false;
    }

    /** Reads what is left and checks it all: size and digest, as at the end of any read to the end. */
    public void verifyToEnd() throws IOException {
        byte[] buf = new byte[1 << 16];
        while (read(buf, 0, buf.length) >= 0) {
            // checked as read
        }
    }

    private void verifyAtEnd() throws IOException {
        if (verified) {
            return;
        }
        if (refusal != null) {
            throw refusal; // the digest state is spent: the first verdict stands
        }
        if (count != size) {
            throw new IOException("blob " + expected + " ended after " + count + " bytes, its descriptor says " + size);
        }
        Digest actual = Digest.fromMessageDigest(md);
        if (!actual.equals(expected)) {
            refusal = new IOException("blob content has digest " + actual + ", expected " + expected);
            throw refusal;
        }
        verified = true;
    }
}
