package dev.layerfs.imaged.blob;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.layerfs.imaged.oci.Digest;
import dev.layerfs.imaged.oci.ErrorCode;
import dev.layerfs.imaged.oci.RegistryException;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
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
