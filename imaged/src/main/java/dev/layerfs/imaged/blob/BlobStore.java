package dev.layerfs.imaged.blob;

import dev.layerfs.imaged.oci.Digest;
import dev.layerfs.imaged.oci.ErrorCode;
import dev.layerfs.imaged.oci.RegistryException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's content-addressed blob files, {@code <root>/sha256/ab/abcdef…}. Every blob enters
 * through a temp file in {@code <root>/tmp}, is digested while it streams, fsynced, and renamed
 * into place, so a reader sees either the whole verified blob or nothing. Concurrent puts of the
 * same blob are harmless: each writes its own temp file and the rename is atomic.
 */
public final class BlobStore {

    private static final Logger LOG = LoggerFactory.getLogger(BlobStore.class);

    private final Path root;
    private final Path tmp;
    private final IntactStamps intact = new IntactStamps();

    public BlobStore(Path root) throws IOException {
        this.root = root;
        this.tmp = root.resolve("tmp");
        Files.createDirectories(tmp);
        // Temp files left by a crash are never part of a blob: drop them.
        try (DirectoryStream<Path> stale = Files.newDirectoryStream(tmp)) {
            for (Path p : stale) {
                Files.deleteIfExists(p);
            }
        }
    }

    public Path root() {
        return root;
    }

    /** The file of a blob this node holds. */
    public Optional<Path> find(Digest digest) {
        Path p = pathOf(digest);
        return Files.isRegularFile(p) ? Optional.of(p) : Optional.empty();
    }

    public boolean contains(Digest digest) {
        return find(digest).isPresent();
    }

    /**
     * Whether this node's file of {@code digest} has {@code size} bytes that hash to the digest.
     * Hashed at most once per (modification time, size), also across restarts ({@link IntactStamps}):
     * a blob this store wrote itself, or one checked before and not touched since, is answered
     * without reading it. False when absent.
     */
    public boolean isIntact(Digest digest, long size) throws IOException {
        Path file = pathOf(digest);
        IntactStamps.Stamp stamp;
        try {
            stamp = IntactStamps.Stamp.of(file);
        } catch (NoSuchFileException e) {
            return false;
        }
        if (stamp.size() != size) {
            return false;
        }
        if (intact.matches(digest, file, stamp)) {
            return true;
        }
        boolean good;
        try (InputStream in = Files.newInputStream(file)) {
            good = Digest.of(in).equals(digest);
        }
        if (good && stamp.equals(IntactStamps.Stamp.of(file))) {
            intact.record(digest, file);
        } else {
            intact.forget(digest);
        }
        return good;
    }

    /**
     * Streams {@code in} into the store. When {@code expected} is given the content must hash to
     * it, else DIGEST_INVALID and nothing is stored; when {@code expectedSize} is non-negative the
     * length must match, else SIZE_INVALID.
     */
    public StoredBlob put(Optional<Digest> expected, long expectedSize, InputStream in) throws IOException {
        Path temp = Files.createTempFile(tmp, "put-", ".part");
        try {
            MessageDigest md = Digest.sha256();
            long size;
            try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                size = DigestingCopy.copy(in, ch, md);
                ch.force(true);
            }
            Digest actual = Digest.fromMessageDigest(md);
            check(expected, expectedSize, actual, size);
            publish(temp, actual);
            return new StoredBlob(actual, size);
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /**
     * Moves a finished file (an upload's data, on the same file system) into the store after
     * verifying its digest, read back from the file; on a mismatch the file is left where it is
     * and nothing is stored.
     */
    public StoredBlob adopt(Path file, Digest expected) throws IOException {
        Digest actual;
        try (InputStream in = Files.newInputStream(file)) {
            actual = Digest.of(in);
        }
        return adopt(file, expected, actual);
    }

    /**
     * As {@link #adopt(Path, Digest)}, for a file whose digest {@code actual} was computed while
     * it was written (by this process, so it is the digest of exactly these bytes): no read-back.
     */
    public StoredBlob adopt(Path file, Digest expected, Digest actual) throws IOException {
        long size = Files.size(file);
        check(Optional.of(expected), -1, actual, size);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
        Path temp = Files.createTempFile(tmp, "adopt-", ".part");
        Files.move(file, temp, StandardCopyOption.REPLACE_EXISTING);
        try {
            publish(temp, actual);
        } finally {
            Files.deleteIfExists(temp);
        }
        return new StoredBlob(actual, size);
    }

    /** A blob file on this node, with its size and when it was last written or re-pushed. */
    public record LocalBlob(Digest digest, long size, long modifiedMillis) {
    }

    /** Every blob file this node holds (files with names that are not digests are skipped). */
    public java.util.List<LocalBlob> list() throws IOException {
        java.util.List<LocalBlob> found = new java.util.ArrayList<>();
        Path algo = root.resolve(Digest.SHA256);
        if (!Files.isDirectory(algo)) {
            return found;
        }
        try (java.util.stream.Stream<Path> files = Files.walk(algo, 2)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                if (!Files.isRegularFile(p)) {
                    continue;
                }
                try {
                    Digest d = Digest.parse(Digest.SHA256 + ":" + p.getFileName());
                    found.add(new LocalBlob(d, Files.size(p), Files.getLastModifiedTime(p).toMillis()));
                } catch (IllegalArgumentException | NoSuchFileException e) {
                    // not a blob file, or deleted meanwhile
                }
            }
        }
        return found;
    }

    /**
     * Deletes a blob file unless it was written or touched after {@code notAfterMillis} (a push of
     * the same digest raced with garbage collection: the push wins). True when deleted.
     */
    public boolean deleteIfNotModifiedAfter(Digest digest, long notAfterMillis) throws IOException {
        Path p = pathOf(digest);
        try {
            if (Files.getLastModifiedTime(p).toMillis() > notAfterMillis) {
                return false;
            }
        } catch (NoSuchFileException e) {
            return false;
        }
        intact.forget(digest);
        return Files.deleteIfExists(p);
    }

    public void delete(Digest digest) throws IOException {
        intact.forget(digest);
        Files.deleteIfExists(pathOf(digest));
    }

    /** Where an upload keeps its partial data so {@link #adopt} can rename it without a copy. */
    public Path sameFileSystemDir(String name) throws IOException {
        return Files.createDirectories(root.resolve(name));
    }

    private static void check(Optional<Digest> expected, long expectedSize, Digest actual, long size) {
        if (expected.isPresent() && !expected.get().equals(actual)) {
            throw new RegistryException(ErrorCode.DIGEST_INVALID, ErrorCode.DIGEST_INVALID.status(),
                    "content digest " + actual + " does not match " + expected.get(), expected.get().toString());
        }
        if (expectedSize >= 0 && expectedSize != size) {
            throw new RegistryException(ErrorCode.SIZE_INVALID, ErrorCode.SIZE_INVALID.status(),
                    "blob " + actual + " has " + size + " bytes, expected " + expectedSize, actual.toString());
        }
    }

    private void publish(Path temp, Digest digest) throws IOException {
        Path target = pathOf(digest);
        if (Files.isRegularFile(target)) {
            // Same digest, same bytes: already durable. Touch it: garbage collection keeps files
            // written (or re-pushed) within its grace period.
            boolean known = intact.matches(digest, target, IntactStamps.Stamp.of(target));
            Files.setLastModifiedTime(target, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis()));
            if (known) {
                intact.record(digest, target);
            }
            return;
        }
        Path dir = Files.createDirectories(target.getParent());
        try {
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("blob store " + root + " cannot rename atomically", e);
        }
        fsyncDirectory(dir);
        // Every caller digested exactly these bytes on their way into the temp file, and fsynced them.
        intact.record(digest, target);
        LOG.debug("stored blob {} at {}", digest, target);
    }

    private static void fsyncDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (NoSuchFileException e) {
            throw e;
        } catch (IOException e) {
            LOG.debug("cannot fsync directory {}: {}", dir, e.toString());
        }
    }

    private Path pathOf(Digest digest) {
        return root.resolve(digest.relativePath());
    }
}
