package dev.layerfs.imaged.blob;

import dev.layerfs.imaged.oci.Digest;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which blob files are known to hold their digest's bytes, by the (modification time, size) they
 * had when that was last established: the store digested the bytes on their way in, or hashed
 * the file since. A file whose stamp still matches is not read again to answer.
 *
 * <p>The stamp is kept in memory and, so that a restarted node does not re-hash every blob on its
 * first read (seconds per large layer, before the first byte of a pull), in the file's
 * {@code user.imaged.intact} extended attribute. Losing the attribute (a crash before it reached
 * the disk, a file system without user xattrs, a copy of the data directory) costs one re-hash,
 * never a wrong answer: it is only written after the bytes it vouches for were fsynced and
 * checked, and any write to the file moves its modification time away from the stamp.
 */
final class IntactStamps {

    private static final Logger LOG = LoggerFactory.getLogger(IntactStamps.class);
    private static final String ATTRIBUTE = "imaged.intact"; // user.imaged.intact on Linux

    record Stamp(long modifiedNanos, long size) {
        static Stamp of(Path file) throws IOException {
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
            return new Stamp(a.lastModifiedTime().to(TimeUnit.NANOSECONDS), a.size());
        }

        String text() {
            return modifiedNanos + " " + size;
        }

        static Optional<Stamp> parse(String text) {
            String[] parts = text.trim().split(" ");
            try {
                return parts.length == 2 ? Optional.of(new Stamp(Long.parseLong(parts[0]), Long.parseLong(parts[1]))) : Optional.empty();
            } catch (NumberFormatException e) {
                return Optional.empty();
            }
        }
    }

    private final ConcurrentHashMap<Digest, Stamp> known = new ConcurrentHashMap<>();
    private volatile boolean persistWarned;

    /** Whether {@code file} still has the stamp recorded when it was last known intact. */
    boolean matches(Digest digest, Path file, Stamp current) {
        Stamp remembered = known.get(digest);
        if (remembered == null) {
            remembered = read(file).orElse(null);
            if (remembered != null && remembered.equals(current)) {
                known.put(digest, remembered);
            }
        }
        return current.equals(remembered);
    }

    /** Records that {@code file}, as it is now, holds {@code digest}'s bytes. */
    void record(Digest digest, Path file) throws IOException {
        Stamp stamp = Stamp.of(file);
        known.put(digest, stamp);
        write(file, stamp);
    }

    void forget(Digest digest) {
        known.remove(digest);
    }

    private Optional<Stamp> read(Path file) {
        try {
            UserDefinedFileAttributeView view = Files.getFileAttributeView(file, UserDefinedFileAttributeView.class);
            if (view == null || !view.list().contains(ATTRIBUTE)) {
                return Optional.empty();
            }
            ByteBuffer buf = ByteBuffer.allocate(view.size(ATTRIBUTE));
            view.read(ATTRIBUTE, buf);
            return Stamp.parse(new String(buf.array(), 0, buf.position(), StandardCharsets.US_ASCII));
        } catch (IOException | UnsupportedOperationException e) {
            return Optional.empty();
        }
    }

    private void write(Path file, Stamp stamp) {
        try {
            UserDefinedFileAttributeView view = Files.getFileAttributeView(file, UserDefinedFileAttributeView.class);
            if (view != null) {
                view.write(ATTRIBUTE, ByteBuffer.wrap(stamp.text().getBytes(StandardCharsets.US_ASCII)));
            }
        } catch (IOException | UnsupportedOperationException e) {
            // E.g. no user xattrs here: the stamp lives in memory only, and a restart re-hashes on first read.
            if (!persistWarned) {
                persistWarned = true;
                LOG.warn("cannot keep blob verification stamps in user xattrs, first at {} ({}): after a restart "
                        + "each blob is hashed again on its first read", file, e.toString());
            }
        }
    }
}
