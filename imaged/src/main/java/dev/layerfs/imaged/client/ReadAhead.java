package dev.layerfs.imaged.client;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * Reads a stream on its own thread, up to a few buffers ahead of the reader: a pull downloads and
 * digests a layer on this thread while the caller's thread unpacks it, two cores instead of one.
 * The source's failure (a wrong digest found at its end, say) is thrown to the reader where it
 * would have been read, and its end is reported only once the source itself ended, so a reader
 * that reads to the end still never accepts what the source refused. After {@link #close()}
 * (which waits for the thread) the source is the caller's again, positioned after the bytes
 * read ahead; it is not closed.
 */
final class ReadAhead extends InputStream {

    private static final int BUFFER = 1 << 18;
    private static final int DEPTH = 8;

    /** One read of the source: bytes, its end, or its failure. */
    private record Block(byte[] bytes, int length, IOException failure) {
        static final Block END = new Block(null, -1, null);
    }

    private final InputStream source;
    private final BlockingQueue<Block> filled = new ArrayBlockingQueue<>(DEPTH + 2);
    private final BlockingQueue<byte[]> free = new ArrayBlockingQueue<>(DEPTH);
    private final Thread reader;
    private volatile boolean closed;
    private Block current;
    private int position;

    ReadAhead(InputStream source, String name) {
        this.source = source;
        for (int i = 0; i < DEPTH; i++) {
            free.add(new byte[BUFFER]);
        }
        reader = new Thread(this::fill, name);
        reader.setDaemon(true);
        reader.start();
    }

    private void fill() {
        try {
            while (!closed) {
                byte[] buf = free.take();
                if (closed) {
                    return;
                }
                int n = 0;
                IOException failure = null;
                try {
                    for (int r; n < buf.length && (r = source.read(buf, n, buf.length - n)) >= 0; ) {
                        n += r;
                    }
                } catch (IOException e) {
                    failure = e; // the bytes read before it go first
                }
                if (n > 0) {
                    filled.put(new Block(buf, n, null));
                }
                if (failure != null) {
                    filled.put(new Block(null, -1, failure));
                    return;
                }
                if (n < buf.length) {
                    filled.put(Block.END);
                    return;
                }
            }
        } catch (InterruptedException e) {
            // closed
        }
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        if (current == null || position == current.length()) {
            if (current != null && current.bytes() != null) {
                free.add(current.bytes());
            }
            current = next();
            position = 0;
        }
        if (current.failure() != null) {
            throw current.failure();
        }
        if (current.length() < 0) {
            return -1;
        }
        int n = Math.min(len, current.length() - position);
        System.arraycopy(current.bytes(), position, b, off, n);
        position += n;
        return n;
    }

    private Block next() throws IOException {
        if (closed) {
            throw new IOException("read ahead of a closed stream");
        }
        if (current != null && (current.length() < 0 || current.failure() != null)) {
            return current; // the end and a failure stay
        }
        try {
            return filled.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for the download");
        }
    }

    /** Stops reading ahead and waits for the thread, so the source is the caller's alone again. */
    @Override
    public void close() throws IOException {
        closed = true;
        reader.interrupt();
        try {
            reader.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while stopping the download thread");
        }
    }
}
