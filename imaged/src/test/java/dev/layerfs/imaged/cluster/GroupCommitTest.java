package dev.layerfs.imaged.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.layerfs.imaged.meta.Command;
import dev.layerfs.imaged.meta.Json;
import dev.layerfs.imaged.meta.ManifestRecord;
import dev.layerfs.imaged.meta.Metadata;
import dev.layerfs.imaged.meta.Outcome;
import dev.layerfs.imaged.oci.RegistryException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The batching alone, over a log that applies entries to a plain model the way every replica
 * does (decoded from JSON) and takes a few milliseconds per entry like a commit. The same
 * behaviour on a real three-node cluster is in {@code GroupCommitClusterTest}.
 */
class GroupCommitTest {

    private static final String CONFIG = "sha256:" + "c".repeat(64);
    private static final String LAYER = "sha256:" + "a".repeat(64);

    private final Metadata model = new Metadata();
    private final List<Command> entries = new CopyOnWriteArrayList<>();

    private Outcome commit(Command c) {
        try {
            Thread.sleep(5);
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
        synchronized (model) {
            entries.add(c);
            return Json.read(Json.write(c), Command.class).applyTo(model);
        }
    }

    /** As the Raft client answers: the outcome and the index of the entry that carried it. */
    private GroupCommit.Committed logged(Command c) {
        synchronized (model) {
            Outcome o = commit(c);
            return new GroupCommit.Committed(o, entries.size());
        }
    }

    private static ManifestRecord manifest(int i, String layer) {
        String digest = "sha256:" + String.format("%064x", i);
        return new ManifestRecord(digest, "application/vnd.oci.image.manifest.v1+json",
                ("{\"n\":" + i + "}").getBytes(StandardCharsets.UTF_8), List.of(CONFIG, layer), null, null);
    }

    /** Every fifth update names a layer nobody pushed: refused, alone. */
    private static String layerOf(int i) {
        return i % 5 == 4 ? "sha256:" + "f".repeat(64) : LAYER;
    }

    private static boolean updatesTag(Command entry, String tag) {
        if (entry instanceof Command.Batch batch) {
            return batch.commands().stream().anyMatch(c -> updatesTag(c, tag));
        }
        return entry instanceof Command.PutManifest put && tag.equals(put.tag());
    }

    private void blobs() {
        commit(new Command.RecordBlob("lib/app", CONFIG, 10, List.of("n1"), null));
        commit(new Command.RecordBlob("lib/app", LAYER, 20, List.of("n1"), null));
        entries.clear();
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void concurrentUpdatesShareEntriesAndEachCallerGetsItsOwnOutcome() throws Exception {
        blobs();
        GroupCommit group = new GroupCommit(this::logged, 2, "test");
        try {
            // 200 writers at once (a caller that finds nothing in flight writes on its own thread)
            ExecutorService writers = Executors.newFixedThreadPool(200);
            List<Future<CompletableFuture<GroupCommit.Committed>>> outcomes = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                // every fifth names a layer nobody pushed: refused, alone
                Command c = new Command.PutManifest("lib/app", "t" + i, manifest(i, layerOf(i)));
                outcomes.add(writers.submit(() -> group.submit(c)));
            }
            writers.shutdown();
            for (int i = 0; i < 200; i++) {
                GroupCommit.Committed committed = outcomes.get(i).get(30, TimeUnit.SECONDS).get(30, TimeUnit.SECONDS);
                Outcome o = committed.outcome();
                assertTrue(committed.index() > 0 && committed.index() <= entries.size(),
                        "t" + i + " learns the index of the entry that carried it, got " + committed.index());
                assertTrue(updatesTag(entries.get((int) committed.index() - 1), "t" + i),
                        "t" + i + "'s index names the entry holding it");
                if (i % 5 == 4) {
                    assertEquals("MANIFEST_BLOB_UNKNOWN", o.error(), "t" + i);
                    assertTrue(model.manifest("lib/app", "t" + i).isEmpty(), "refused t" + i + " changed nothing");
                } else {
                    assertTrue(o.succeeded(), "t" + i + ": " + o);
                    assertEquals(manifest(i, LAYER).digest(), model.manifest("lib/app", "t" + i).orElseThrow().digest());
                }
            }
            assertTrue(entries.size() < 100, "200 queued updates took " + entries.size() + " log entries");
            assertTrue(entries.stream().anyMatch(Command.Batch.class::isInstance));
        } finally {
            group.close();
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aLoneUpdateIsWrittenAsItselfAndAFailedWriteFailsOnlyItsOwnCommands() throws Exception {
        blobs();
        AtomicBoolean down = new AtomicBoolean(true);
        Function<Command, GroupCommit.Committed> log = c -> {
            if (down.get()) {
                throw new RegistryException(dev.layerfs.imaged.oci.ErrorCode.UNAVAILABLE, 503, "no leader", null);
            }
            return logged(c);
        };
        GroupCommit group = new GroupCommit(log, 1, "test");
        try {
            ExecutionException failed = assertThrows(ExecutionException.class,
                    () -> group.submit(new Command.PutManifest("lib/app", "a", manifest(1, LAYER))).get(30, TimeUnit.SECONDS));
            assertInstanceOf(RegistryException.class, failed.getCause());
            assertTrue(model.manifest("lib/app", "a").isEmpty());

            down.set(false);
            Outcome o = group.submit(new Command.PutManifest("lib/app", "b", manifest(2, LAYER))).get(30, TimeUnit.SECONDS).outcome();
            assertTrue(o.succeeded());
            assertEquals(1, entries.size());
            assertInstanceOf(Command.PutManifest.class, entries.get(0), "a lone update is not wrapped in a batch");
        } finally {
            group.close();
        }
    }

    @Test
    void leaseCommandsAreNeverGrouped() {
        GroupCommit group = new GroupCommit(this::logged, 1, "test");
        try {
            assertThrows(IllegalArgumentException.class,
                    () -> group.submit(new Command.AcquireLease("deploy", "me", 1000, 1)));
        } finally {
            group.close();
        }
    }
}
