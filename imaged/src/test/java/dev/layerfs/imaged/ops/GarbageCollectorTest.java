package dev.layerfs.imaged.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.layerfs.imaged.blob.BlobStore;
import dev.layerfs.imaged.meta.Answers.GcResult;
import dev.layerfs.imaged.meta.Command.RecordBlob;
import dev.layerfs.imaged.meta.InMemoryMetadataService;
import dev.layerfs.imaged.meta.Query;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GarbageCollectorTest {

    @TempDir
    Path dir;

    @Test
    void aCollectionLargerThanOneEntryTakesSeveralAndReportsEveryRemovedBlob() throws Exception {
        InMemoryMetadataService meta = new InMemoryMetadataService();
        List<String> digests = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            String d = "sha256:" + String.format("%064x", i);
            digests.add(d);
            meta.submit(new RecordBlob("junk", d, 100, List.of("n1"), null, 0));
        }
        GarbageCollector gc = new GarbageCollector("n1", meta, new BlobStore(dir), 1000, () -> 1_000_000, 3);

        GcResult r = gc.collect(false, false, null);

        assertEquals(digests, r.blobs().stream().map(GcResult.Item::digest).sorted().toList());
        assertEquals(1000, r.blobBytes());
        assertEquals(0, r.remaining());
        assertEquals(List.of(), meta.read(new Query.KnownBlobs(digests)).orElseThrow().digests(), "all gone from the metadata");
        assertThrows(IllegalArgumentException.class, () -> new GarbageCollector("n1", meta, new BlobStore(dir), 1, () -> 0, 0));
    }
}
