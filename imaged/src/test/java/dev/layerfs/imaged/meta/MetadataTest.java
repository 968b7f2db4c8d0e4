package dev.layerfs.imaged.meta;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.layerfs.imaged.meta.Command.AddHolders;
import dev.layerfs.imaged.meta.Command.DeleteManifest;
import dev.layerfs.imaged.meta.Command.DeleteTag;
import dev.layerfs.imaged.meta.Command.MountBlob;
import dev.layerfs.imaged.meta.Command.PutManifest;
import dev.layerfs.imaged.meta.Command.RecordBlob;
import dev.layerfs.imaged.meta.Command.RegisterNode;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MetadataTest {

    private static final String CONFIG = "sha256:" + "c".repeat(64);
    private static final String LAYER = "sha256:" + "a".repeat(64);
    private static final String MANIFEST = "sha256:" + "1".repeat(64);

    private final Metadata meta = new Metadata();

    /** Applies a command the way a replica does: decoded from its JSON log form. */
    private Outcome apply(Command c) {
        return Json.read(Json.write(c), Command.class).applyTo(meta);
    }

    private static ManifestRecord manifest(String digest, String subject) {
        String json = "{\"m\":\"" + digest + "\"" + (subject == null ? "" : ",\"annotations\":{\"k\":\"v\"}") + "}";
        return new ManifestRecord(digest, "application/vnd.oci.image.manifest.v1+json",
                json.getBytes(StandardCharsets.UTF_8), List.of(CONFIG, LAYER), subject,
                subject == null ? null : "application/example");
    }

    private void pushBlobs(String repo) {
        assertTrue(apply(new RecordBlob(repo, CONFIG, 10, List.of("n1", "n2"), "up-1")).succeeded());
        assertTrue(apply(new RecordBlob(repo, LAYER, 20, List.of("n1"), null)).succeeded());
    }

    @Test
    void manifestIsFoundByTagAndDigestAfterItsBlobsAreRecorded() {
        pushBlobs("lib/app");
        assertTrue(apply(new PutManifest("lib/app", "v1", manifest(MANIFEST, null))).succeeded());

        assertArrayEquals(manifest(MANIFEST, null).content(), meta.manifest("lib/app", "v1").orElseThrow().content());
        assertEquals(MANIFEST, meta.manifest("lib/app", MANIFEST).orElseThrow().digest());
        assertTrue(meta.manifest("other", "v1").isEmpty());
    }

    @Test
    void manifestNamingAnUnknownBlobIsRefusedAndChangesNothing() {
        apply(new RecordBlob("lib/app", CONFIG, 10, List.of("n1"), null));
        Outcome o = apply(new PutManifest("lib/app", "v1", manifest(MANIFEST, null)));

        assertEquals("MANIFEST_BLOB_UNKNOWN", o.error());
        assertEquals(LAYER, o.detail());
        assertTrue(meta.manifest("lib/app", "v1").isEmpty());
    }

    @Test
    void aBatchAppliesEachCommandInOrderAndARefusedOneChangesNothingWhileTheOthersApply() {
        pushBlobs("lib/app");
        String second = "sha256:" + "2".repeat(64);
        ManifestRecord broken = new ManifestRecord(second, "application/vnd.oci.image.manifest.v1+json",
                "{}".getBytes(StandardCharsets.UTF_8), List.of(CONFIG, "sha256:" + "f".repeat(64)), null, null);
        Outcome batch = apply(new Command.Batch(List.of(
                new PutManifest("lib/app", "v1", manifest(MANIFEST, null)),
                new PutManifest("lib/app", "v2", broken),
                new DeleteTag("lib/app", "v1"),
                new PutManifest("lib/app", "v3", manifest(MANIFEST, null)))));

        assertTrue(batch.succeeded());
        List<Outcome> each = Command.Batch.outcomes(batch);
        assertEquals(4, each.size());
        assertTrue(each.get(0).succeeded());
        assertEquals("MANIFEST_BLOB_UNKNOWN", each.get(1).error());
        assertTrue(each.get(2).succeeded(), "the tag put by the first command exists for the third");
        assertTrue(each.get(3).succeeded());
        assertTrue(meta.manifest("lib/app", "v1").isEmpty());
        assertTrue(meta.manifest("lib/app", "v2").isEmpty());
        assertTrue(meta.manifest("lib/app", second).isEmpty());
        assertEquals(MANIFEST, meta.manifest("lib/app", "v3").orElseThrow().digest());
    }

    @Test
    void aBatchHoldingALeaseCommandIsRefusedWholeAndChangesNothing() {
        pushBlobs("lib/app");
        Outcome batch = apply(new Command.Batch(List.of(
                new PutManifest("lib/app", "v1", manifest(MANIFEST, null)),
                new Command.AcquireLease("deploy", "me", 30_000, 1_000))));

        assertEquals("UNSUPPORTED", batch.error());
        assertTrue(meta.manifest("lib/app", "v1").isEmpty());
        assertTrue(meta.lease("deploy").isEmpty());
    }

    @Test
    void blobsAreVisibleOnlyInRepositoriesTheyAreLinkedTo() {
        pushBlobs("a");
        assertTrue(meta.blob("b", LAYER).isEmpty());
        assertEquals("BLOB_UNKNOWN", apply(new MountBlob("b", "nope", LAYER)).error());
        assertTrue(apply(new MountBlob("b", "a", LAYER)).succeeded());
        assertEquals(20, meta.blob("b", LAYER).orElseThrow().size());
    }

    @Test
    void holdersAccumulateSortedAndUnderReplicationIsReported() {
        pushBlobs("a");
        apply(new AddHolders(LAYER, List.of("n3")));
        assertEquals(List.of("n1", "n3"), meta.blob(LAYER).orElseThrow().holders());
        assertEquals(List.of(LAYER), meta.underReplicated(3, 10).blobs().stream().map(BlobRecord::digest).toList().subList(0, 1));
        apply(new AddHolders(LAYER, List.of("n2")));
        apply(new AddHolders(CONFIG, List.of("n3")));
        assertTrue(meta.underReplicated(3, 10).blobs().isEmpty());
    }

    @Test
    void aNodeThatLostABlobIsNoLongerCountedAsItsHolder() {
        pushBlobs("a");
        apply(new AddHolders(LAYER, List.of("n2")));
        assertEquals(List.of(LAYER, CONFIG), meta.heldBy("n1", null, 10).blobs().stream().map(BlobRecord::digest).toList());
        assertEquals(List.of(CONFIG), meta.heldBy("n1", LAYER, 10).blobs().stream().map(BlobRecord::digest).toList());

        assertTrue(apply(new Command.DropHolder(LAYER, "n1")).succeeded());
        assertEquals(List.of("n2"), meta.blob(LAYER).orElseThrow().holders());
        assertEquals(List.of(CONFIG), meta.heldBy("n1", null, 10).blobs().stream().map(BlobRecord::digest).toList());
    }

    @Test
    void tagsArePagedInLexicalOrderWithNAndLast() {
        pushBlobs("a");
        for (String t : List.of("v3", "v1", "latest", "v2")) {
            apply(new PutManifest("a", t, manifest(MANIFEST, null)));
        }
        Answers.TagPage first = meta.tags("a", 2, null).orElseThrow();
        assertEquals(List.of("latest", "v1"), first.tags());
        assertTrue(first.more());
        Answers.TagPage second = meta.tags("a", 2, "v1").orElseThrow();
        assertEquals(List.of("v2", "v3"), second.tags());
        assertFalse(second.more());
        assertTrue(meta.tags("missing", -1, null).isEmpty());
    }

    @Test
    void deletingAManifestDropsTheTagsPointingAtIt() {
        pushBlobs("a");
        apply(new PutManifest("a", "v1", manifest(MANIFEST, null)));
        apply(new PutManifest("a", "v2", manifest(MANIFEST, null)));
        assertTrue(apply(new DeleteTag("a", "v2")).succeeded());
        assertEquals(List.of("v1"), meta.tags("a", -1, null).orElseThrow().tags());
        assertTrue(apply(new DeleteManifest("a", MANIFEST)).succeeded());
        assertTrue(meta.manifest("a", "v1").isEmpty());
        assertEquals("MANIFEST_UNKNOWN", apply(new DeleteManifest("a", MANIFEST)).error());
    }

    @Test
    void referrersListManifestsWhoseSubjectMatches() {
        pushBlobs("a");
        apply(new PutManifest("a", "v1", manifest(MANIFEST, null)));
        String sig = "sha256:" + "5".repeat(64);
        apply(new PutManifest("a", null, manifest(sig, MANIFEST)));

        List<Answers.Referrer> found = meta.referrers("a", MANIFEST, null).manifests();
        assertEquals(1, found.size());
        assertEquals(sig, found.get(0).digest());
        assertEquals("application/example", found.get(0).artifactType());
        assertEquals(Map.of("k", "v"), found.get(0).annotations());
        assertTrue(meta.referrers("a", MANIFEST, "other/type").manifests().isEmpty());
    }

    @Test
    void snapshotRoundTripRestoresEverything() throws Exception {
        pushBlobs("lib/app");
        apply(new PutManifest("lib/app", "v1", manifest(MANIFEST, null)));
        apply(new RegisterNode("n1", "127.0.0.1:5000"));
        java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();
        ByteArrayOutputStream out = new ByteArrayOutputStream() {
            @Override
            public void close() {
                closed.set(true);
            }
        };
        meta.writeSnapshot(out);
        assertFalse(closed.get(), "the caller's stream stays open so it can be fsynced");

        Metadata restored = new Metadata();
        restored.readSnapshot(new ByteArrayInputStream(out.toByteArray()));

        assertArrayEquals(meta.manifest("lib/app", "v1").orElseThrow().content(),
                restored.manifest("lib/app", "v1").orElseThrow().content());
        assertEquals(meta.blob(CONFIG), restored.blob(CONFIG));
        assertEquals(meta.nodes(), restored.nodes());
        assertEquals(meta.status(), restored.status());
        assertEquals("lib/app", restored.upload("up-1").orElseThrow().repository());
        ByteArrayOutputStream again = new ByteArrayOutputStream();
        restored.writeSnapshot(again);
        assertArrayEquals(out.toByteArray(), again.toByteArray(), "a snapshot of a restored model is identical");
    }

    @Test
    void uploadOutcomesAreBounded() {
        for (int i = 0; i < Metadata.REMEMBERED_UPLOADS + 5; i++) {
            apply(new RecordBlob("a", LAYER, 20, List.of("n1"), "u" + i));
        }
        assertTrue(meta.upload("u0").isEmpty());
        assertTrue(meta.upload("u" + (Metadata.REMEMBERED_UPLOADS + 4)).isPresent());
    }

    @Test
    void aRemovedNodeCannotRegisterAgainNorHoldBlobsUntilItIsAdmittedAgain() throws Exception {
        assertTrue(apply(new Command.RegisterNode("n3", "127.0.0.1:5003")).succeeded());
        assertTrue(apply(new Command.RemoveNode("n3")).succeeded());
        Outcome back = apply(new Command.RegisterNode("n3", "127.0.0.1:5003"));
        assertEquals("DENIED", back.error());
        assertTrue(back.message().startsWith("node n3 was removed from the cluster"), back.message());
        assertEquals("DENIED", apply(new RecordBlob("r", CONFIG, 10, List.of("n1", "n3"), null)).error());
        assertTrue(apply(new RecordBlob("r", CONFIG, 10, List.of("n1"), null)).succeeded());
        assertTrue(apply(new Command.AddHolders(CONFIG, List.of("n2", "n3"))).succeeded());
        assertEquals(List.of("n1", "n2"), meta.blob(CONFIG).orElseThrow().holders(), "the removed node is not counted");

        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        meta.writeSnapshot(out);
        Metadata restored = new Metadata();
        restored.readSnapshot(new java.io.ByteArrayInputStream(out.toByteArray()));
        assertEquals("DENIED", Json.read(Json.write(new Command.RegisterNode("n3", "a:1")), Command.class).applyTo(restored).error(),
                "the removal survives a snapshot");

        assertTrue(apply(new Command.AdmitNode("n3")).succeeded());
        assertTrue(apply(new Command.RegisterNode("n3", "127.0.0.1:5003")).succeeded());
    }
}
