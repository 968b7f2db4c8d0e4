package dev.layerfs.imaged.meta;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.layerfs.imaged.meta.Answers.GcResult;
import dev.layerfs.imaged.meta.Command.CollectGarbage;
import dev.layerfs.imaged.meta.Command.PutManifest;
import dev.layerfs.imaged.meta.Command.RecordBlob;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class GarbageCollectionTest {

    private static final long HOUR = 3_600_000;
    private static final String CONFIG = "sha256:" + "c".repeat(64);
    private static final String LAYER = "sha256:" + "a".repeat(64);
    private static final String OLD_LAYER = "sha256:" + "b".repeat(64);
    private static final String STRAY = "sha256:" + "d".repeat(64);
    private static final String M1 = "sha256:" + "1".repeat(64);
    private static final String M2 = "sha256:" + "2".repeat(64);

    private final Metadata meta = new Metadata();

    private Outcome apply(Command c) {
        return Json.read(Json.write(c), Command.class).applyTo(meta);
    }

    private static ManifestRecord manifest(String digest, String layer) {
        return new ManifestRecord(digest, "application/vnd.oci.image.manifest.v1+json",
                ("{\"m\":\"" + digest + "\"}").getBytes(StandardCharsets.UTF_8), List.of(CONFIG, layer), null, null);
    }

    private GcResult collect(long now, boolean untagged) {
        Outcome o = apply(new CollectGarbage(now, HOUR, untagged));
        assertTrue(o.succeeded());
        return Json.read(o.detail().getBytes(StandardCharsets.UTF_8), GcResult.class);
    }

    private static List<String> digests(List<GcResult.Item> items) {
        return items.stream().map(GcResult.Item::digest).toList();
    }

    /** v1 (old layer) then v2 (new layer) pushed at t=0 under one tag; a stray blob pushed at t=0; one just now. */
    private void history() {
        apply(new RecordBlob("app", CONFIG, 10, List.of("n1", "n2"), null, 0));
        apply(new RecordBlob("app", OLD_LAYER, 30, List.of("n1", "n2"), null, 0));
        apply(new PutManifest("app", "latest", manifest(M1, OLD_LAYER), 0));
        apply(new RecordBlob("app", LAYER, 20, List.of("n1", "n2"), null, 0));
        apply(new PutManifest("app", "latest", manifest(M2, LAYER), 0));
        apply(new RecordBlob("app", STRAY, 40, List.of("n1"), null, 0));
    }

    @Test
    void unreferencedBlobsOlderThanTheGraceAreCollectedAndReferencedOnesKept() {
        history();
        long now = 10 * HOUR;
        apply(new RecordBlob("app", "sha256:" + "e".repeat(64), 50, List.of("n1"), null, now - 1000));

        GcResult r = collect(now, false);

        assertEquals(List.of(STRAY), digests(r.blobs()), "the untagged M1 still references the old layer; the fresh blob is in its grace");
        assertEquals(40, r.blobBytes());
        assertTrue(meta.blob(STRAY).isEmpty());
        assertTrue(meta.blob("app", LAYER).isPresent());
        assertTrue(meta.blob(OLD_LAYER).isPresent());
        assertTrue(meta.blob("sha256:" + "e".repeat(64)).isPresent());
    }

    @Test
    void untaggedManifestsGoOnRequestAndTakeTheirOnlyBlobsWithThem() {
        history();
        GcResult r = collect(10 * HOUR, true);

        assertEquals(List.of(M1), digests(r.manifests()));
        assertEquals(List.of(OLD_LAYER, STRAY), digests(r.blobs()));
        assertTrue(meta.manifest("app", M1).isEmpty());
        assertEquals(M2, meta.manifest("app", "latest").orElseThrow().digest());
        assertTrue(meta.blob("app", CONFIG).isPresent(), "the config is shared with the kept manifest");
    }

    @Test
    void aDryRunPlansExactlyWhatTheCollectionThenRemovesAndChangesNothing() {
        history();
        GcResult plan = meta.gcPlan(10 * HOUR, HOUR, true);
        assertTrue(meta.blob(STRAY).isPresent(), "planning changes nothing");
        GcResult done = collect(10 * HOUR, true);
        assertEquals(plan, done);
    }

    @Test
    void aRePushOfACollectableBlobWithinTheGraceKeepsIt() {
        history();
        long now = 10 * HOUR;
        apply(new RecordBlob("other", STRAY, 40, List.of("n2"), null, now - 5));
        assertTrue(collect(now, false).blobs().isEmpty());
        assertTrue(meta.blob("other", STRAY).isPresent());
    }

    @Test
    void pushTimesSurviveASnapshot() throws Exception {
        history();
        apply(new RecordBlob("app", STRAY, 40, List.of("n1"), null, 10 * HOUR));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        meta.writeSnapshot(out);
        Metadata restored = new Metadata();
        restored.readSnapshot(new ByteArrayInputStream(out.toByteArray()));
        assertTrue(restored.gcPlan(10 * HOUR + 1000, HOUR, false).blobs().isEmpty(), "the stray was re-pushed a second ago");
    }

    @Test
    void aReferrerOfAKeptManifestIsKeptWithItsBlobsAndAReferrerOfACollectedOneGoes() {
        history();
        String sig = "sha256:" + "5".repeat(64);
        String sigOfOld = "sha256:" + "6".repeat(64);
        apply(new PutManifest("app", null, new ManifestRecord(sig, "application/vnd.oci.image.manifest.v1+json",
                "{}".getBytes(StandardCharsets.UTF_8), List.of(CONFIG, STRAY), M2, "application/signature"), 0));
        apply(new PutManifest("app", null, new ManifestRecord(sigOfOld, "application/vnd.oci.image.manifest.v1+json",
                "{ }".getBytes(StandardCharsets.UTF_8), List.of(CONFIG), M1, "application/signature"), 0));

        GcResult r = collect(10 * HOUR, true);

        assertEquals(List.of(M1, sigOfOld), digests(r.manifests()).stream().sorted().toList());
        assertTrue(meta.manifest("app", sig).isPresent(), "the signature of the tagged manifest stays");
        assertTrue(meta.blob(STRAY).isPresent(), "and so does the blob it references");
    }

    @Test
    void aCollectionInEntriesOfAFewRecordsRemovesManifestsFirstAndEverythingOneEntryWould() {
        history();
        for (int i = 0; i < 5; i++) {
            apply(new RecordBlob("app", "sha256:" + Integer.toString(i).repeat(64), 5, List.of("n1"), null, 0));
        }
        java.util.List<GcResult> batches = new java.util.ArrayList<>();
        GcResult b;
        do {
            Outcome o = apply(new CollectGarbage(10 * HOUR, HOUR, true, 2));
            assertTrue(o.succeeded());
            b = Json.read(o.detail().getBytes(StandardCharsets.UTF_8), GcResult.class);
            batches.add(b);
            assertTrue(b.manifests().size() + b.blobs().size() <= 2, "at most the limit per entry: " + b);
        } while (b.remaining() > 0);

        assertEquals(List.of(M1), digests(batches.get(0).manifests()), "the untagged manifest goes first");
        java.util.Set<String> removed = new java.util.TreeSet<>();
        batches.forEach(r -> removed.addAll(digests(r.blobs())));
        assertTrue(removed.contains(OLD_LAYER) && removed.contains(STRAY), removed.toString());
        assertEquals(7, removed.size(), "the old layer, the stray blob and the five unreferenced ones: " + removed);
        assertEquals(4, batches.size(), "8 records, 2 per entry");
        assertTrue(meta.blob("app", LAYER).isPresent(), "what the tag references stays");
        assertEquals(0, collect(10 * HOUR, true).blobs().size(), "nothing left to collect");
    }
}
