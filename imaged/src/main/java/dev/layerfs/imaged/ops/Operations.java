package dev.layerfs.imaged.ops;

import dev.layerfs.imaged.blob.BlobStore;
import dev.layerfs.imaged.cluster.RaftNode;
import dev.layerfs.imaged.cluster.RaftView;
import dev.layerfs.imaged.meta.MetadataService;
import dev.layerfs.imaged.meta.Query;
import dev.layerfs.imaged.meta.ReadMode;
import dev.layerfs.imaged.server.BlobReplication;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's operations side, assembled: liveness of the other nodes (on the leader), cluster
 * status, membership changes, garbage collection and the disk sweep, leases' clock, metrics; and
 * the background tasks that keep them current. Closed before the Raft client it uses.
 */
public final class Operations implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Operations.class);

    private final String self;
    private final OpsConfig config;
    private final RaftNode raft;
    private final MetadataService meta;
    private final BlobStore store;
    private final BlobReplication replication;
    private final NodeLiveness liveness;
    private final ClusterStatus status;
    private final Membership membership;
    private final GarbageCollector gc;
    private final Metrics metrics = new Metrics();
    private final ScheduledExecutorService tasks = Executors.newScheduledThreadPool(2, r -> {
        Thread t = new Thread(r, "ops");
        t.setDaemon(true);
        return t;
    });

    public Operations(String self, OpsConfig config, RaftNode raft, MetadataService meta, BlobStore store, BlobReplication replication) {
        this.self = self;
        this.config = config;
        this.raft = raft;
        this.meta = meta;
        this.store = store;
        this.replication = replication;
        this.liveness = new NodeLiveness(config.nodeTimeoutMillis(), System::currentTimeMillis);
        this.status = new ClusterStatus(raft, meta, replication, liveness);
        this.membership = new Membership(raft, meta, replication, liveness);
        this.gc = new GarbageCollector(self, meta, store, config.gcGraceMillis(), System::currentTimeMillis);
    }

    public void start() {
        tasks.scheduleWithFixedDelay(this::observe, 500, 500, TimeUnit.MILLISECONDS);
        tasks.scheduleWithFixedDelay(this::sweep, config.sweepPeriodMillis(), config.sweepPeriodMillis(), TimeUnit.MILLISECONDS);
        if (config.gcPeriodMillis() > 0) {
            tasks.scheduleWithFixedDelay(this::periodicGc, config.gcPeriodMillis(), config.gcPeriodMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private void observe() {
        try {
            RaftView view = status.observe();
            metrics.leaderSeen(view.leader());
        } catch (RuntimeException e) {
            LOG.debug("node {}: cannot observe the cluster: {}", self, e.toString());
        }
    }

    private void sweep() {
        try {
            int deleted = gc.sweepOnce();
            if (deleted > 0) {
                LOG.info("node {}: sweep deleted {} blob files no longer in the metadata", self, deleted);
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("node {}: blob sweep failed: {}", self, e.toString());
        }
    }

    private void periodicGc() {
        if (!raft.isLeader()) {
            return; // one node proposes periodic collections: the leader
        }
        try {
            gc.collect(false, false, null);
        } catch (RuntimeException e) {
            LOG.warn("node {}: periodic garbage collection failed: {}", self, e.toString());
        }
    }

    public String self() {
        return self;
    }

    public MetadataService meta() {
        return meta;
    }

    public NodeLiveness liveness() {
        return liveness;
    }

    /** Nodes whose copies repairs do not count: silent past the node timeout, or being removed. */
    public java.util.Set<String> unavailable() {
        java.util.Set<String> out = new java.util.TreeSet<>(liveness.unavailable());
        try {
            meta.read(new Query.LeavingNodes(), ReadMode.LOCAL).ifPresent(l -> out.addAll(l.nodes()));
        } catch (RuntimeException e) {
            LOG.debug("node {}: cannot read the leaving nodes: {}", self, e.toString());
        }
        return out;
    }

    public ClusterStatus status() {
        return status;
    }

    public Membership membership() {
        return membership;
    }

    public GarbageCollector gc() {
        return gc;
    }

    public Metrics metrics() {
        return metrics;
    }

    public RaftView raftView() {
        return raft.view();
    }

    /** The metrics page: gauges read now. */
    public String scrape() {
        RaftView view = raft.view();
        metrics.leaderSeen(view.leader());
        long bytes = 0;
        long count = 0;
        try {
            for (BlobStore.LocalBlob b : store.list()) {
                bytes += b.size();
                count++;
            }
        } catch (IOException e) {
            LOG.warn("node {}: cannot list blob files for metrics: {}", self, e.toString());
        }
        int under = meta.read(new Query.UnderReplicatedAmong(replication.factor(), List.copyOf(liveness.unavailable()), null,
                ClusterStatus.UNDER_LIMIT), ReadMode.LOCAL).orElseThrow().blobs().size();
        return metrics.render(new Metrics.Gauges(self, view.term(), view.commitIndex(), view.appliedIndex(), view.isLeader(),
                bytes, count, under, replication.copiesInProgress()));
    }

    @Override
    public void close() {
        tasks.shutdownNow();
    }
}
