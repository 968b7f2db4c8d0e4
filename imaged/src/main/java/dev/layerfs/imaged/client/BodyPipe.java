package dev.layerfs.imaged.client;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Hands the bytes one thread writes to a request body that the HTTP client reads on another,
 * a few chunks at a time (so a slow connection slows the writer instead of filling memory).
 * Either side can break the pipe: the other then fails instead of waiting forever.
 */
final class BodyPipe {

    private static final int CHUNKS = 8;
    private static final byte[] END = new byte[0];

    private final ArrayBlockingQueue<byte[]> chunks = new ArrayBlockingQueue<>(CHUNKS);
    private volatile IOException broken;

    private final OutputStream sink = new OutputStream() {
        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (len > 0) {
                hand(Arrays.copyOfRange(b, off, off + len));
            }
        }

        @Override
        public void close() throws IOException {
            hand(END);
        }
    };

    private final InputStream source = new InputStream() {
        private byte[] chunk = new byte[0];
        private int pos;

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            while (pos == chunk.length) {
                if (chunk == END) {
                    return -1;
                }
                chunk = take();
                pos = 0;
            }
            int n = Math.min(len, chunk.length - pos);
            System.arraycopy(chunk, pos, b, off, n);
            pos += n;
            return n;
        }
    };

    /** Where the writer writes; closing it ends the body. */
    OutputStream sink() {
        return sink;
    }

    /** What the HTTP client reads. */
    InputStream source() {
        return source;
    }

    /** Fails both sides from now on (the request ended, or the writer gave up). */
    void breakWith(IOException cause) {
        broken = cause;
        chunks.clear();
    }

    private void hand(byte[] chunk) throws IOException {
        try {
            while (!chunks.offer(chunk, 100, TimeUnit.MILLISECONDS)) {
                throwIfBroken();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("upload interrupted");
        }
        throwIfBroken();
    }

    private byte[] take() throws IOException {
        try {
            byte[] next;
            while ((next = chunks.poll(100, TimeUnit.MILLISECONDS)) == null) {
                throwIfBroken();
            }
            return next;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("upload interrupted");
        }
    }

    private void throwIfBroken() throws IOException {
        if (broken != null) {
            throw new IOException(broken.getMessage(), broken);
        }
    }
}
