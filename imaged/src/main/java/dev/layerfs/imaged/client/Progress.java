package dev.layerfs.imaged.client;

import java.io.FilterInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.util.Locale;

/**
 * Progress of one long transfer (a blob up or down): bytes of total and rate, redrawn in place
 * on a terminal. {@link #forTerminal()} draws on stderr only when a console is attached, so
 * scripts and logs stay clean.
 */
public interface Progress {

    /** Starts a new transfer; {@code total} is -1 when unknown. */
    void start(String label, long total);

    void advance(long bytes);

    void finish(String outcome);

    static Progress silent() {
        return new Progress() {
            @Override
            public void start(String label, long total) {
            }

            @Override
            public void advance(long bytes) {
            }

            @Override
            public void finish(String outcome) {
            }
        };
    }

    /** Draws on stderr when running on a terminal, silent otherwise. */
    static Progress forTerminal() {
        return System.console() != null ? new Terminal(System.err) : silent();
    }

    /** Counts what is read through {@code in} into this progress. */
    default InputStream counting(InputStream in) {
        return new FilterInputStream(in) {
            @Override
            public int read() throws IOException {
                int b = in.read();
                if (b >= 0) {
                    advance(1);
                }
                return b;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                int n = in.read(b, off, len);
                if (n > 0) {
                    advance(n);
                }
                return n;
            }
        };
    }

    /** Counts what is written through {@code out} into this progress. */
    default OutputStream counting(OutputStream out) {
        return new FilterOutputStream(out) {
            @Override
            public void write(int b) throws IOException {
                out.write(b);
                advance(1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                out.write(b, off, len);
                advance(len);
            }
        };
    }

    /** A one-line display, redrawn at most ten times a second. */
    final class Terminal implements Progress {
        private final PrintStream out;
        private String label = "";
        private long total;
        private long done;
        private long startNanos;
        private long lastDrawNanos;

        public Terminal(PrintStream out) {
            this.out = out;
        }

        @Override
        public synchronized void start(String label, long total) {
            this.label = label;
            this.total = total;
            this.done = 0;
            this.startNanos = System.nanoTime();
            this.lastDrawNanos = 0;
            draw();
        }

        @Override
        public synchronized void advance(long bytes) {
            done += bytes;
            long now = System.nanoTime();
            if (now - lastDrawNanos > 100_000_000L) {
                lastDrawNanos = now;
                draw();
            }
        }

        @Override
        public synchronized void finish(String outcome) {
            draw();
            out.print(" " + outcome + "\n");
            out.flush();
        }

        private void draw() {
            double seconds = Math.max((System.nanoTime() - startNanos) / 1e9, 1e-3);
            String of = total >= 0 ? " / " + size(total) : "";
            out.print(String.format(Locale.ROOT, "\r%s %s%s  %s/s\033[K", label, size(done), of, size((long) (done / seconds))));
            out.flush();
        }

        static String size(long bytes) {
            if (bytes < 1024) {
                return bytes + " B";
            }
            String[] units = {"KiB", "MiB", "GiB", "TiB"};
            double v = bytes;
            int u = -1;
            while (v >= 1024 && u < units.length - 1) {
                v /= 1024;
                u++;
            }
            return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
        }
    }
}
