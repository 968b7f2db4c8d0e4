package dev.layerfs.imaged.ops;

import dev.layerfs.imaged.blob.BlobStore;
import dev.layerfs.imaged.blob.BlobStore.LocalBlob;
import dev.layerfs.imaged.meta.Answers.GcResult;
import dev.layerfs.imaged.meta.Command.CollectGarbage;
import dev.layerfs.imaged.meta.Json;
import dev.layerfs.imaged.meta.MetadataService;
import dev.layerfs.imaged.meta.Outcome;
import dev.layerfs.imaged.meta.Query.KnownBlobs;
import dev.layerfs.imaged.meta.Query.PlanGarbage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Garbage collection in two steps. The decision goes through Raft: a CollectGarbage command
 * carries the proposer's time, and every replica computes the same plan from the same state
 * (unreferenced blobs, and untagged manifests on request, untouched for the grace period) and
 * drops those records. Then every node sweeps its own disk: a blob file the metadata no longer
 * knows, and that nobody wrote or re-pushed within the grace period, is deleted. The sweep is
 * what frees space, also on nodes that were down during the collection and on files of uploads
 * that never completed.
 *
 * <p>Why a push racing with a collection loses nothing: a blob pushed (or re-pushed, which
 * touches its file) within the grace period is neither dropped from the metadata nor deleted
 * from disk, and a push that completes records the blob again, so the sweep, which deletes only
 * what the metadata does not know, keeps it. This holds while a push takes less than the grace
 * period from storing its bytes to recording them.
 */
public final class GarbageCollector {

    private static final Logger LOG = LoggerFactory.getLogger(GarbageCollector.class);
    private static final int BATCH = 500;
    /** The most records one collection entry removes: big collections take several entries. */
    static final int ENTRY_LIMIT = 1000;

    private final String self;
    private final MetadataService meta;
    private final BlobStore store;
    private final long graceMillis;
    private final LongSupplier clock;
    private final int entryLimit;

    public GarbageCollector(String self, MetadataService meta, BlobStore store, long graceMillis, LongSupplier clock) {
        this(self, meta, store, graceMillis, clock, ENTRY_LIMIT);
    }

    /** {@code entryLimit}: the most records one Raft entry of a collection removes. */
    public GarbageCollector(String self, MetadataService meta, BlobStore store, long graceMillis, LongSupplier clock, int entryLimit) {
        if (entryLimit < 1) {
            throw new IllegalArgumentException("a collection entry must remove at least 1 record, not " + entryLimit);
        }
        this.entryLimit = entryLimit;
        this.self = self;
        this.meta = meta;
        this.store = store;
        this.graceMillis = graceMillis;
        this.clock = clock;
    }

    public long graceMillis() {
        return graceMillis;
    }

    /** Runs (or with {@code dryRun}, plans) a collection; {@code grace} overrides the configured grace when not null. */
    public GcResult collect(boolean dryRun, boolean untagged, Long grace) {
        long g = grace != null ? grace : graceMillis;
        long now = clock.getAsLong();
        if (dryRun) {
            return meta.read(new PlanGarbage(now, g, untagged)).orElseThrow();
        }
        // Several entries of at most entryLimit records each, all judged at the same time `now`:
        // each is a complete, safe collection of part of the garbage.
        List<GcResult.Item> manifests = new ArrayList<>();
        List<GcResult.Item> blobs = new ArrayList<>();
        long bytes = 0;
        int entries = 0;
        GcResult batch;
        do {
            Outcome outcome = meta.apply(new CollectGarbage(now, g, untagged, entryLimit));
            outcome.orThrow();
            batch = Json.read(outcome.detail().getBytes(StandardCharsets.UTF_8), GcResult.class);
            entries++;
            manifests.addAll(batch.manifests());
            blobs.addAll(batch.blobs());
            bytes += batch.blobBytes();
            if (batch.remaining() > 0) {
                LOG.info("node {}: garbage collection entry {} removed {} manifests and {} blobs; {} records to go", self,
                        entries, batch.manifests().size(), batch.blobs().size(), batch.remaining());
            }
        } while (batch.remaining() > 0 && !(batch.manifests().isEmpty() && batch.blobs().isEmpty()));
        GcResult result = new GcResult(now, g, manifests, blobs, bytes, batch.remaining());
        LOG.info("node {}: garbage collection removed {} manifests and {} blobs ({} bytes per holder) in {} Raft entries", self,
                result.manifests().size(), result.blobs().size(), result.blobBytes(), entries);
        return result;
    }

    /** Deletes local blob files the metadata no longer knows and untouched for the grace period; returns how many. */
    public int sweepOnce() throws IOException {
        long cutoff = clock.getAsLong() - graceMillis;
        List<LocalBlob> old = store.list().stream().filter(b -> b.modifiedMillis() <= cutoff).toList();
        int deleted = 0;
        for (int i = 0; i < old.size(); i += BATCH) {
            List<LocalBlob> batch = old.subList(i, Math.min(old.size(), i + BATCH));
            Set<String> known = new HashSet<>(meta.read(new KnownBlobs(batch.stream().map(b -> b.digest().toString()).toList()))
                    .orElseThrow().digests());
            for (LocalBlob b : batch) {
                if (!known.contains(b.digest().toString()) && store.deleteIfNotModifiedAfter(b.digest(), cutoff)) {
                    LOG.info("node {}: deleted blob file {} ({} bytes): no longer in the metadata", self, b.digest(), b.size());
                    deleted++;
                }
            }
        }
        return deleted;
    }
}
