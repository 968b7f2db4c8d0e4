package dev.layerfs.imaged.blob;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.layerfs.imaged.oci.Digest;
import dev.layerfs.imaged.oci.ErrorCode;
import dev.layerfs.imaged.oci.RegistryException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UploadsTest {

    @TempDir
    Path dir;

    @Test
    void chunksInOrderBecomeOneVerifiedBlobAndSurviveARestart() throws Exception {
        byte[] content = "hello chunked world".getBytes();
        Digest d = Digest.of(content);
        Uploads uploads = new Uploads(new BlobStore(dir), "n1");
        Upload u = uploads.start("lib/app");
        assertEquals("n1", Uploads.ownerOf(u.id()).orElseThrow());

        assertEquals(5, uploads.append("lib/app", u.id(), 0, new ByteArrayInputStream(Arrays.copyOfRange(content, 0, 5))));
        Uploads reopened = new Uploads(new BlobStore(dir), "n1");
        assertEquals(5, reopened.find(u.id()).orElseThrow().size());
        StoredBlob blob = reopened.finish("lib/app", u.id(), 5, d,
                new ByteArrayInputStream(Arrays.copyOfRange(content, 5, content.length)));

        assertEquals(d, blob.digest());
        assertArrayEquals(content, Files.readAllBytes(new BlobStore(dir).find(d).orElseThrow()));
        assertTrue(reopened.find(u.id()).isEmpty());
    }

    @Test
    void aRefusedDigestLeavesAnUploadThatStillFinishesWithTheRightOne() throws Exception {
        BlobStore store = new BlobStore(dir);
        Uploads uploads = new Uploads(store, "n1");
        Upload u = uploads.start("a");
        byte[] content = "streamed in one go".getBytes();
        assertThrows(RegistryException.class,
                () -> uploads.finish("a", u.id(), 0, Digest.of(new byte[] {1}), new ByteArrayInputStream(content)));

        StoredBlob blob = uploads.finish("a", u.id(), -1, Digest.of(content), InputStream.nullInputStream());
        assertEquals(Digest.of(content), blob.digest());
        assertArrayEquals(content, Files.readAllBytes(store.find(Digest.of(content)).orElseThrow()));
    }

    @Test
    void aChunkBrokenOffHalfWayLeavesAnUploadThatResumesAndVerifies() throws Exception {
        BlobStore store = new BlobStore(dir);
        Uploads uploads = new Uploads(store, "n1");
        Upload u = uploads.start("a");
        byte[] content = new byte[(3 << 20) + 123];
        new Random(3).nextBytes(content);
        int sentBeforeBreak = 2 << 20;
        InputStream breaking = new SequenceInputStream(new ByteArrayInputStream(content, 0, sentBeforeBreak), new InputStream() {
            @Override
            public int read() throws IOException {
                throw new IOException("connection reset");
            }
        });
        assertThrows(IOException.class, () -> uploads.append("a", u.id(), 0, breaking));
        long kept = uploads.find(u.id()).orElseThrow().size();
        assertTrue(kept <= sentBeforeBreak, "kept " + kept);

        Uploads restarted = new Uploads(new BlobStore(dir), "n1");
        restarted.append("a", u.id(), kept, new ByteArrayInputStream(content, (int) kept, 1 << 20));
        StoredBlob blob = restarted.finish("a", u.id(), kept + (1 << 20), Digest.of(content),
                new ByteArrayInputStream(content, (int) kept + (1 << 20), content.length - (int) kept - (1 << 20)));
        assertEquals(Digest.of(content), blob.digest());
        assertArrayEquals(content, Files.readAllBytes(store.find(Digest.of(content)).orElseThrow()));
    }

    @Test
    void bytesChangedOnDiskBeforeFinishingAfterARestartAreCaught() throws Exception {
        BlobStore store = new BlobStore(dir);
        Uploads uploads = new Uploads(store, "n1");
        Upload u = uploads.start("a");
        byte[] content = "resumed after a restart".getBytes();
        uploads.append("a", u.id(), 0, new ByteArrayInputStream(content));
        Files.write(dir.resolve("uploads").resolve(u.id()).resolve("data"), "RESUMED after a restart".getBytes());

        Uploads restarted = new Uploads(new BlobStore(dir), "n1");
        assertEquals(ErrorCode.DIGEST_INVALID, assertThrows(RegistryException.class,
                () -> restarted.finish("a", u.id(), -1, Digest.of(content), InputStream.nullInputStream())).code());
        assertTrue(store.find(Digest.of(content)).isEmpty());
    }

    @Test
    void outOfOrderChunkIsRefusedWith416() throws Exception {
        Uploads uploads = new Uploads(new BlobStore(dir), "n1");
        Upload u = uploads.start("a");
        uploads.append("a", u.id(), 0, new ByteArrayInputStream(new byte[10]));
        RegistryException e = assertThrows(RegistryException.class,
                () -> uploads.append("a", u.id(), 20, new ByteArrayInputStream(new byte[10])));
        assertEquals(416, e.status());
        assertEquals(10, uploads.find(u.id()).orElseThrow().size());
    }

    @Test
    void unknownOrForeignSessionIsBlobUploadUnknown() throws Exception {
        Uploads uploads = new Uploads(new BlobStore(dir), "n1");
        Upload u = uploads.start("a");
        assertEquals(ErrorCode.BLOB_UPLOAD_UNKNOWN, assertThrows(RegistryException.class,
                () -> uploads.append("b", u.id(), -1, new ByteArrayInputStream(new byte[1]))).code());
        assertEquals(ErrorCode.BLOB_UPLOAD_UNKNOWN, assertThrows(RegistryException.class,
                () -> uploads.append("a", "../../etc", -1, new ByteArrayInputStream(new byte[1]))).code());
    }

    @Test
    void wrongDigestKeepsTheSessionAndStoresNothing() throws Exception {
        BlobStore store = new BlobStore(dir);
        Uploads uploads = new Uploads(store, "n1");
        Upload u = uploads.start("a");
        Digest wrong = Digest.of(new byte[] {1});
        assertEquals(ErrorCode.DIGEST_INVALID, assertThrows(RegistryException.class,
                () -> uploads.finish("a", u.id(), -1, wrong, new ByteArrayInputStream(new byte[] {2}))).code());
        assertTrue(store.find(wrong).isEmpty());
        assertTrue(store.find(Digest.of(new byte[] {2})).isEmpty());
    }

    @Test
    void abandonedSessionsArePurgedAndFreshOnesKept() throws Exception {
        Uploads uploads = new Uploads(new BlobStore(dir), "n1");
        Upload old = uploads.start("a");
        Upload fresh = uploads.start("a");
        Path oldData = dir.resolve("uploads").resolve(old.id()).resolve("data");
        Files.setLastModifiedTime(oldData, java.nio.file.attribute.FileTime.from(java.time.Instant.now().minus(java.time.Duration.ofDays(8))));

        assertEquals(1, uploads.purgeOlderThan(java.time.Duration.ofDays(7)));
        assertTrue(uploads.find(old.id()).isEmpty());
        assertTrue(uploads.find(fresh.id()).isPresent());
    }
}
