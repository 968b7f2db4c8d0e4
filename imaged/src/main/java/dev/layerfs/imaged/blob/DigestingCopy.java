package dev.layerfs.imaged.blob;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.security.MessageDigest;

/**
 * Copies a request body into a file while digesting it, in one pass with big reads, so a blob
 * is never read back just to learn its digest.
 */
final class DigestingCopy {

    static final int BUFFER = 1 << 20;

    private DigestingCopy() {
    }

    /** Copies {@code in} to its end into {@code out} at its position, updating {@code md}; returns the byte count. */
    static long copy(InputStream in, FileChannel out, MessageDigest md) throws IOException {
        byte[] buf = new byte[BUFFER];
        ByteBuffer wrapped = ByteBuffer.wrap(buf);
        long total = 0;
        for (int n; (n = in.readNBytes(buf, 0, BUFFER)) > 0; ) {
            md.update(buf, 0, n);
            wrapped.clear().limit(n);
            while (wrapped.hasRemaining()) {
                out.write(wrapped);
            }
            total += n;
        }
        return total;
    }
}
