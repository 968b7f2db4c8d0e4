package dev.layerfs.imaged.blob;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.layerfs.imaged.oci.Digest;
import dev.layerfs.imaged.oci.ErrorCode;
import dev.layerfs.imaged.oci.RegistryException;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class BlobStoreTest {

    @TempDir
    Path dir;

    private static byte[] bytes(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private long filesUnder(Path p) throws Exception {
        try (Stream<Path> s = Files.walk(p)) {
            return s.filter(Files::isRegularFile).count();
        }
    }

    @Test
    void blobIsStoredUnderItsDigestFanOut() throws Exception {
        BlobStore store = new BlobStore(dir);
        byte[] content = bytes(100_000, 1);
        Digest d = Digest.of(content);

        StoredBlob stored = store.put(Optional.of(d), content.length, new ByteArrayInputStream(content));

        assertEquals(new StoredBlob(d, content.length), stored);
        Path file = dir.resolve("sha256").resolve(d.hex().substring(0, 2)).resolve(d.hex());
        assertEquals(file, store.find(d).orElseThrow());
        assertArrayEquals(content, Files.readAllBytes(file));
    }

    @Test
    void aBlobTheStoreWroteIsKnownIntactWithoutReadingItAndAChangedFileIsHashedAgain() throws Exception {
        BlobStore store = new BlobStore(dir);
        byte[] content = bytes(200_000, 3);
        Digest d = Digest.of(content);
        store.put(Optional.of(d), content.length, new ByteArrayInputStream(content));
        Path file = store.find(d).orElseThrow();
        FileTime written = Files.getLastModifiedTime(file);

        // Same size, other bytes, modification time put back: the store still trusts what it
        // wrote, which shows it did not read the file again to answer.
        Files.write(file, bytes(content.length, 4));
        Files.setLastModifiedTime(file, written);
        assertTrue(store.isIntact(d, content.length));

        // Any write that moves the modification time makes it hash the file: damage is seen.
        Files.setLastModifiedTime(file, FileTime.fromMillis(written.toMillis() + 5_000));
        assertFalse(store.isIntact(d, content.length));
        Files.write(file, content);
        assertTrue(store.isIntact(d, content.length));
        assertFalse(store.isIntact(d, content.length + 1), "a size other than the recorded one is damage");
        assertFalse(store.isIntact(Digest.of(new byte[1]), 1), "an absent blob is not intact");
    }

    @Test
    void aRestartedStoreKnowsWhichBlobsItVerifiedAndHashesOnlyFilesChangedSince() throws Exception {
        byte[] written = bytes(150_000, 6);
        byte[] hashed = bytes(150_000, 7);
        Digest w = Digest.of(written);
        Digest h = Digest.of(hashed);
        BlobStore before = new BlobStore(dir);
        before.put(Optional.of(w), written.length, new ByteArrayInputStream(written));
        // A file that arrived behind the store's back is hashed once, and that is remembered too.
        Path hashedFile = dir.resolve(h.relativePath());
        Files.createDirectories(hashedFile.getParent());
        Files.write(hashedFile, hashed);
        assertTrue(before.isIntact(h, hashed.length));

        // Damage that keeps size and modification time can only be missed if the new store did
        // not read the file: it shows that the stamp, not a re-hash, answered after the restart.
        for (Path file : List.of(dir.resolve(w.relativePath()), hashedFile)) {
            FileTime stamp = Files.getLastModifiedTime(file);
            Files.write(file, bytes((int) Files.size(file), 8));
            Files.setLastModifiedTime(file, stamp);
        }
        BlobStore after = new BlobStore(dir);
        assertTrue(after.isIntact(w, written.length));
        assertTrue(after.isIntact(h, hashed.length));

        // A write that moves the modification time is hashed again, and the damage is seen.
        Path file = dir.resolve(w.relativePath());
        Files.setLastModifiedTime(file, FileTime.fromMillis(Files.getLastModifiedTime(file).toMillis() + 5_000));
        assertFalse(new BlobStore(dir).isIntact(w, written.length));
        Files.write(file, written);
        assertTrue(new BlobStore(dir).isIntact(w, written.length), "a repaired file is hashed and accepted");
    }

    @Test
    void digestMismatchLeavesNothingBehind() throws Exception {
        BlobStore store = new BlobStore(dir);
        byte[] content = bytes(5000, 2);
        Digest claimed = Digest.of(bytes(10, 3));

        RegistryException e = assertThrows(RegistryException.class,
                () -> store.put(Optional.of(claimed), -1, new ByteArrayInputStream(content)));

        assertEquals(ErrorCode.DIGEST_INVALID, e.code());
        assertTrue(e.getMessage().contains(claimed.toString()), e.getMessage());
        assertFalse(store.contains(claimed));
        assertFalse(store.contains(Digest.of(content)));
        assertEquals(0, filesUnder(dir), "no temp file or blob remains");
    }

    @Test
    void sizeMismatchIsRefused() throws Exception {
        BlobStore store = new BlobStore(dir);
        byte[] content = bytes(10, 4);
        RegistryException e = assertThrows(RegistryException.class,
                () -> store.put(Optional.of(Digest.of(content)), 11, new ByteArrayInputStream(content)));
        assertEquals(ErrorCode.SIZE_INVALID, e.code());
        assertFalse(store.contains(Digest.of(content)));
    }

    @Test
    @Timeout(30)
    void concurrentPutsOfTheSameBlobAllSucceedWithOneFile() throws Exception {
        BlobStore store = new BlobStore(dir);
        byte[] content = bytes(1 << 20, 5);
        Digest d = Digest.of(content);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<StoredBlob>> puts = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                puts.add(pool.submit(() -> store.put(Optional.of(d), content.length, new ByteArrayInputStream(content))));
            }
            for (Future<StoredBlob> f : puts) {
                assertEquals(d, f.get().digest());
            }
        } finally {
            pool.shutdownNow();
        }
        assertArrayEquals(content, Files.readAllBytes(store.find(d).orElseThrow()));
        assertEquals(1, filesUnder(dir));
    }

    @Test
    void staleTempFilesAreDroppedOnOpen() throws Exception {
        new BlobStore(dir);
        Files.write(dir.resolve("tmp").resolve("put-crashed.part"), bytes(10, 6));
        new BlobStore(dir);
        assertEquals(0, filesUnder(dir));
    }
}
