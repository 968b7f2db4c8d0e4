package dev.layerfs.imaged.layer;

import dev.layerfs.imaged.oci.Digest;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.security.MessageDigest;

/** Counts and sha256-digests what passes through, so a layer is digested while it is written. */
final class HashingOutputStream extends FilterOutputStream {

    private final MessageDigest md = Digest.sha256();
    private long count;
    private Digest digest;

    HashingOutputStream(OutputStream out) {
        super(out);
    }

    @Override
    public void write(int b) throws IOException {
        out.write(b);
        md.update((byte) b);
        count++;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        out.write(b, off, len);
        md.update(b, off, len);
        count += len;
    }

    long count() {
        return count;
    }

    /** The digest of everything written; fixed by the first call, so call it at the end. */
    Digest digest() {
        if (digest == null) {
            digest = Digest.fromMessageDigest(md);
        }
        return digest;
    }
}
