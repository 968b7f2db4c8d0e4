package dev.layerfs.imaged.layer;

import dev.layerfs.imaged.oci.Digest;
import dev.layerfs.imaged.oci.MediaTypes;
import java.io.BufferedInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;

/**
 * A layer tar that already exists as a file ({@code .tar} or {@code .tar.gz}): checked to be a
 * readable tar whose entry names stay inside the layer, and digested both ways, so it can be
 * pushed as it is.
 */
public final class LayerArchive {

    private LayerArchive() {
    }

    /** Read size: the tar is read once, sequentially, in big reads. */
    private static final int BUFFER = 1 << 20;

    /**
     * Reads the file once: checks every entry name, digests the bytes (and, for gzip, the
     * uncompressed tar; for a plain tar that is the same digest, computed once). Entry data is
     * read here into one reused buffer rather than skipped by the tar reader, which would
     * allocate a small buffer per skip.
     */
    public static PackedLayer inspect(Path file) throws IOException {
        return inspect(file, OutputStream.nullOutputStream());
    }

    /**
     * As {@link #inspect(Path)}, and every byte read from the file is also written to {@code copy}
     * as it goes by (a push sends the layer while it is checked and digested: one read, not two).
     * When the file is refused, part of it may already have been written.
     */
    public static PackedLayer inspect(Path file, OutputStream copy) throws IOException {
        HashingInputStream compressed = new HashingInputStream(new TeeInputStream(Files.newInputStream(file), copy));
        try (BufferedInputStream in = new BufferedInputStream(compressed, BUFFER)) {
            in.mark(2);
            boolean gzip = in.read() == 0x1f && in.read() == 0x8b;
            in.reset();
            HashingInputStream uncompressed = null;
            try {
                InputStream plain = in;
                if (gzip) {
                    uncompressed = new HashingInputStream(new BufferedInputStream(new GzipCompressorInputStream(in, true), BUFFER));
                    plain = uncompressed;
                }
                TarArchiveInputStream tar = new TarArchiveInputStream(plain, "UTF-8");
                byte[] buf = new byte[BUFFER];
                long entries = 0;
                for (TarArchiveEntry e; (e = tar.getNextEntry()) != null; entries++) {
                    LayerUnpacker.components(e.getName(), e.getName());
                    if (e.isLink()) {
                        LayerUnpacker.components(e.getLinkName(), e.getName());
                    }
                    while (tar.read(buf) >= 0) {
                        // the entry's data: digested on its way through, nothing else to do with it
                    }
                }
                if (entries == 0) {
                    throw new LayerRefusedException(null, file + " holds no tar entries");
                }
                while (plain.read(buf) >= 0) {
                    // the end-of-archive blocks and padding belong to the digests too
                }
            } catch (LayerRefusedException e) {
                throw e;
            } catch (CopyFailedException e) {
                throw (IOException) e.getCause(); // the copy's failure, not the tar's
            } catch (IOException | RuntimeException e) {
                throw new LayerRefusedException(null, file + " is not a readable " + (gzip ? "gzip-compressed " : "") + "tar: " + e.getMessage(), e);
            }
            Digest diffId = uncompressed != null ? uncompressed.digest() : compressed.digest();
            return new PackedLayer(file, compressed.digest(), compressed.count(), diffId,
                    gzip ? MediaTypes.OCI_LAYER_TAR_GZIP : MediaTypes.OCI_LAYER_TAR);
        }
    }

    /** Writes what is read through it to {@code copy}; the copy's failure is the read's failure. */
    private static final class TeeInputStream extends FilterInputStream {
        private final OutputStream copy;

        TeeInputStream(InputStream in, OutputStream copy) {
            super(in);
            this.copy = copy;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = in.read(b, off, len);
            if (n > 0) {
                try {
                    copy.write(b, off, n);
                } catch (IOException e) {
                    throw new CopyFailedException(e);
                }
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            byte[] buf = new byte[(int) Math.min(n, 8192)];
            int read = read(buf, 0, buf.length);
            return Math.max(read, 0);
        }

        @Override
        public boolean markSupported() {
            return false;
        }
    }

    private static final class CopyFailedException extends IOException {
        CopyFailedException(IOException cause) {
            super(cause.getMessage(), cause);
        }
    }
}
