package dev.layerfs.imaged.server;

import dev.layerfs.imaged.blob.BlobStore;
import dev.layerfs.imaged.meta.BlobRecord;
import dev.layerfs.imaged.meta.Command.AddHolders;
import dev.layerfs.imaged.meta.Command.DropHolder;
import dev.layerfs.imaged.meta.MetadataService;
import dev.layerfs.imaged.meta.NodeRecord;
import dev.layerfs.imaged.meta.Query.HeldBy;
import dev.layerfs.imaged.meta.Query.ListNodes;
import dev.layerfs.imaged.meta.Query.UnderReplicated;
import dev.layerfs.imaged.oci.Digest;
import dev.layerfs.imaged.oci.ErrorCode;
import dev.layerfs.imaged.oci.RegistryException;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps blob bytes on enough nodes. The ack rule: a pushed blob is acknowledged only when it is
 * durable on a majority of the cluster (this node plus majority-1 peers), so losing any minority
 * of nodes loses no acknowledged blob. Copies beyond the majority continue in the background, and
 * the Raft leader periodically re-copies blobs held by fewer than the replication factor. A node
 * asked for a blob it lacks fetches it from a holder first.
 */
public final class BlobReplication implements Closeable {

    private static final Logger LOG = LoggerFactory.getLogger(BlobReplication.class);

    private final String self;
    private final int clusterSize;
    private final int configuredFactor;
    private volatile java.util.function.IntSupplier members;
    private final java.util.concurrent.atomic.AtomicInteger copying = new java.util.concurrent.atomic.AtomicInteger();
    private final MetadataService meta;
    private final BlobStore store;
    private final PeerBlobClient peers;
    private final ExecutorService copies = Executors.newCachedThreadPool(daemon("blob-copy"));
    private final ScheduledExecutorService repairs = Executors.newSingleThreadScheduledExecutor(daemon("blob-repair"));
    /** Blobs a repair round takes at once from the metadata, and repairs side by side. */
    static final int REPAIR_PAGE = 100;
    static final int REPAIR_PARALLELISM = 8;
    private final ExecutorService repairCopies = Executors.newFixedThreadPool(REPAIR_PARALLELISM, daemon("blob-repair-copy"));

    public BlobReplication(String self, int clusterSize, int factor, MetadataService meta, BlobStore store, PeerBlobClient peers) {
        this.self = self;
        this.clusterSize = clusterSize;
        this.configuredFactor = Math.max(1, factor);
        this.meta = meta;
        this.store = store;
        this.peers = peers;
    }

    /** The replication factor for the cluster as it is now (members change). */
    public int factor() {
        return factorFor(clusterSize());
    }

    private int factorFor(int members) {
        return Math.max(1, Math.min(configuredFactor, members));
    }

    /**
     * Follow the Raft configuration's size (members are added and removed) instead of the size
     * given at start: the ack majority and the factor are computed from it.
     */
    public void followMembership(java.util.function.IntSupplier members) {
        this.members = members;
    }

    /** The current number of Raft members, or the configured size when not known (yet). */
    private int clusterSize() {
        java.util.function.IntSupplier m = members;
        int n = m == null ? 0 : m.getAsInt();
        return n > 0 ? n : clusterSize;
    }

    /** Copies to other nodes running right now (acks, repairs, fetches). */
    public int copiesInProgress() {
        return copying.get();
    }

    /** Starts the background repair loop; it acts only while {@code isLeader} says so. */
    public void startRepairs(BooleanSupplier isLeader, long periodMillis) {
        startRepairs(isLeader, periodMillis, java.util.Set::of);
    }

    /**
     * Starts the background repair loop; it acts only while {@code isLeader} says so, and does not
     * count copies on the nodes {@code unavailable} names (gone longer than the node timeout).
     */
    public void startRepairs(BooleanSupplier isLeader, long periodMillis, java.util.function.Supplier<java.util.Set<String>> unavailable) {
        repairs.scheduleWithFixedDelay(() -> {
            try {
                if (isLeader.getAsBoolean()) {
                    repairOnce(unavailable.get());
                }
            } catch (RuntimeException e) {
                if (repairs.isShutdown()) {
                    // The node is stopping and closed what the round was using: nothing failed.
                    LOG.debug("blob repair round cut short by shutdown: {}", e.toString());
                } else {
                    LOG.warn("blob repair round failed: {}", e.getMessage());
                }
            }
        }, periodMillis, periodMillis, TimeUnit.MILLISECONDS);
    }

    /**
     * Copies a locally durable blob to peers until a majority holds it, and returns the holders
     * (this node first). Throws UNAVAILABLE when too few peers can take it.
     */
    public List<String> replicateForAck(Digest digest) {
        int members = clusterSize();
        int majority = members / 2 + 1;
        int factor = factorFor(members);
        int needed = majority - 1;
        int wanted = Math.max(needed, factor - 1);
        List<String> holders = new ArrayList<>(List.of(self));
        if (wanted == 0) {
            return holders;
        }
        Path file = store.find(digest).orElseThrow(() -> new IllegalStateException("blob " + digest + " is not local"));
        Deque<NodeRecord> untried = new ArrayDeque<>(otherNodes());
        ExecutorCompletionService<NodeRecord> done = new ExecutorCompletionService<>(copies);
        int inFlight = 0;
        while (inFlight < wanted && !untried.isEmpty()) {
            submitCopy(done, untried.poll(), digest, file);
            inFlight++;
        }
        List<String> failures = new ArrayList<>();
        long hedgeMillis = hedgeAfterMillis(file);
        while (holders.size() - 1 < needed) {
            if (inFlight == 0) {
                throw new RegistryException(ErrorCode.UNAVAILABLE, ErrorCode.UNAVAILABLE.status(),
                        "blob " + digest + " reached " + holders.size() + " of the " + majority
                                + " nodes needed for durability; failures: " + failures, digest.toString());
            }
            // A peer cut off by the network drops packets silently and its copy only fails at the
            // request timeout: when no copy finishes in time, try one more peer beside it.
            Future<NodeRecord> f = untried.isEmpty() ? take(done) : poll(done, hedgeMillis);
            if (f == null) {
                LOG.info("copies of {} are slow; also copying to another peer", digest);
                submitCopy(done, untried.poll(), digest, file);
                inFlight++;
                continue;
            }
            inFlight--;
            try {
                holders.add(f.get().id());
            } catch (ExecutionException e) {
                failures.add(e.getCause().getMessage());
                if (!untried.isEmpty()) {
                    submitCopy(done, untried.poll(), digest, file);
                    inFlight++;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new RegistryException(ErrorCode.UNAVAILABLE, "interrupted while replicating " + digest);
            }
        }
        if (inFlight > 0) {
            recordLateCopies(done, inFlight, digest);
        }
        return holders;
    }

    /** The local file of a blob, fetched from a holder first when this node lacks it. */
    public Path ensureLocal(BlobRecord blob) {
        Digest digest = Digest.parse(blob.digest());
        Optional<Path> local = store.find(digest);
        if (local.isPresent() && intact(digest, local.get(), blob.size())) {
            return local.get();
        }
        Map<String, NodeRecord> nodes = nodesById();
        List<String> failures = new ArrayList<>();
        for (String holder : blob.holders()) {
            NodeRecord node = nodes.get(holder);
            if (holder.equals(self) || node == null) {
                continue;
            }
            try {
                if (peers.fetch(node, digest, blob.size(), store).isPresent()) {
                    LOG.info("fetched blob {} from node {}", digest, holder);
                    copies.submit(() -> addHolder(digest, self));
                    return store.find(digest).orElseThrow();
                }
                failures.add(holder + ": does not have it");
            } catch (Exception e) {
                failures.add(e.getMessage());
            }
        }
        throw new RegistryException(ErrorCode.UNAVAILABLE, ErrorCode.UNAVAILABLE.status(),
                "no holder of blob " + digest + " could deliver it: " + failures, digest.toString());
    }

    /**
     * Whether a local blob file still has the recorded size and digest (the store hashes a file
     * at most once per modification time and size, and not at all one it wrote itself); a damaged
     * file is deleted (the caller fetches a good copy from another holder).
     */
    private boolean intact(Digest digest, Path file, long size) {
        try {
            if (store.isIntact(digest, size)) {
                return true;
            }
            LOG.warn("local copy of blob {} at {} is damaged (size or digest mismatch): fetching it again from a holder", digest, file);
            store.delete(digest);
            return false;
        } catch (IOException e) {
            LOG.warn("cannot check local copy of blob {} at {}: {}", digest, file, e.toString());
            return false;
        }
    }

    /**
     * Compares what the metadata says this node holds with its blob store, and stops counting
     * this node for blobs whose bytes are gone (a wiped or replaced disk), so repair re-copies
     * them. Returns how many were dropped.
     */
    public int reconcileLocalHolders() {
        int dropped = 0;
        String after = null;
        while (true) {
            List<BlobRecord> page = meta.read(new HeldBy(self, after, 500)).orElseThrow().blobs();
            List<java.util.concurrent.Callable<Void>> drops = page.stream()
                    .filter(blob -> !store.contains(Digest.parse(blob.digest())))
                    .<java.util.concurrent.Callable<Void>>map(blob -> () -> {
                        meta.submit(new DropHolder(blob.digest(), self));
                        return null;
                    }).toList();
            // Side by side, so that the records share Raft entries (a wiped disk drops thousands).
            for (Future<Void> f : invokeAll(drops)) {
                try {
                    f.get(); // done already: invokeAll waited
                } catch (ExecutionException e) {
                    throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new RegistryException(ErrorCode.UNAVAILABLE, "interrupted while dropping lost blob copies");
                }
            }
            dropped += drops.size();
            if (page.size() < 500) {
                return dropped;
            }
            after = page.get(page.size() - 1).digest();
        }
    }

    /** One repair round: bring under-replicated blobs to the replication factor. */
    public void repairOnce() {
        repairOnce(java.util.Set.of());
    }

    /**
     * One repair round that does not count the {@code unavailable} nodes as holders nor copies to
     * them (nodes gone too long, or a node about to leave), and whose factor is that of the nodes
     * that remain. The round goes once through every blob below the factor, a page at a time in
     * digest order (a blob that cannot be repaired now does not hold up the ones after it), and
     * repairs a page's blobs {@link #REPAIR_PARALLELISM} at a time: a wiped node of a large
     * registry is refilled in one round, and the holders recorded meanwhile share Raft entries
     * (group commit). Returns how many blobs were below the factor when the round began (at most
     * a page's worth).
     */
    public int repairOnce(java.util.Collection<String> unavailable) {
        List<NodeRecord> remaining = meta.read(new ListNodes()).orElseThrow().nodes().stream()
                .filter(n -> !unavailable.contains(n.id())).toList();
        List<NodeRecord> others = remaining.stream().filter(n -> !n.id().equals(self)).toList();
        int factor = factorFor(remaining.size());
        int below = -1;
        String after = null;
        while (true) {
            List<BlobRecord> page = meta.read(new dev.layerfs.imaged.meta.Query.UnderReplicatedAmong(
                    factor, List.copyOf(unavailable), after, REPAIR_PAGE)).orElseThrow().blobs();
            if (below < 0) {
                below = page.size();
            }
            if (page.isEmpty()) {
                return below;
            }
            List<java.util.concurrent.Callable<Void>> tasks = page.stream()
                    .<java.util.concurrent.Callable<Void>>map(blob -> () -> {
                        repair(blob, others, factor, unavailable);
                        return null;
                    }).toList();
            invokeAll(tasks);
            if (page.size() < REPAIR_PAGE) {
                return below;
            }
            after = page.get(page.size() - 1).digest();
        }
    }

    /** Brings one blob up to {@code factor} holders among {@code others}, and records the new holders. */
    private void repair(BlobRecord blob, List<NodeRecord> others, int factor, java.util.Collection<String> unavailable) {
        try {
            Path file = ensureLocal(blob);
            Digest digest = Digest.parse(blob.digest());
            List<String> holders = new ArrayList<>(blob.holders());
            holders.removeAll(unavailable);
            if (!unavailable.contains(self) && !holders.contains(self)) {
                holders.add(self);
            }
            for (NodeRecord node : others) {
                if (holders.size() >= factor) {
                    break;
                }
                if (holders.contains(node.id())) {
                    continue;
                }
                try {
                    copying.incrementAndGet();
                    try {
                        peers.push(node, digest, file);
                    } finally {
                        copying.decrementAndGet();
                    }
                    holders.add(node.id());
                    LOG.info("re-replicated blob {} to node {}", digest, node.id());
                } catch (Exception e) {
                    LOG.debug("repair copy of {} to {} failed: {}", digest, node.id(), e.getMessage());
                }
            }
            if (!blob.holders().containsAll(holders)) {
                meta.submit(new AddHolders(blob.digest(), holders));
            }
        } catch (RuntimeException e) {
            LOG.debug("repair of blob {} failed: {}", blob.digest(), e.getMessage());
        }
    }

    private List<Future<Void>> invokeAll(List<java.util.concurrent.Callable<Void>> tasks) {
        try {
            return repairCopies.invokeAll(tasks);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RegistryException(ErrorCode.UNAVAILABLE, "interrupted while repairing blob copies");
        }
    }

    @Override
    public void close() {
        repairs.shutdownNow();
        repairCopies.shutdownNow();
        copies.shutdownNow();
    }

    private void submitCopy(ExecutorCompletionService<NodeRecord> done, NodeRecord node, Digest digest, Path file) {
        done.submit(() -> {
            copying.incrementAndGet();
            try {
                peers.push(node, digest, file);
            } finally {
                copying.decrementAndGet();
            }
            return node;
        });
    }

    /** Copies still running after the ack: record their holders as they finish. */
    private void recordLateCopies(ExecutorCompletionService<NodeRecord> done, int inFlight, Digest digest) {
        copies.submit(() -> {
            for (int i = 0; i < inFlight; i++) {
                try {
                    addHolder(digest, done.take().get().id());
                } catch (ExecutionException e) {
                    LOG.info("background copy of {} failed (repair will retry): {}", digest, e.getCause().getMessage());
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
    }

    private void addHolder(Digest digest, String node) {
        try {
            meta.submit(new AddHolders(digest.toString(), List.of(node)));
        } catch (RuntimeException e) {
            LOG.info("could not record node {} as holder of {} (repair will retry): {}", node, digest, e.getMessage());
        }
    }

    /** The nodes new copies may go to: every other node except those being removed. */
    private List<NodeRecord> otherNodes() {
        List<String> leaving = meta.read(new dev.layerfs.imaged.meta.Query.LeavingNodes(), dev.layerfs.imaged.meta.ReadMode.LOCAL)
                .map(dev.layerfs.imaged.meta.Answers.NodeIds::nodes).orElse(List.of());
        return meta.read(new ListNodes()).orElseThrow().nodes().stream()
                .filter(n -> !n.id().equals(self) && !leaving.contains(n.id()))
                .toList();
    }

    private Map<String, NodeRecord> nodesById() {
        return meta.read(new ListNodes()).orElseThrow().nodes().stream()
                .collect(Collectors.toMap(NodeRecord::id, Function.identity()));
    }

    /** How long copies may take before another peer is tried too: 2 s plus the blob at 50 MB/s. */
    private static long hedgeAfterMillis(Path file) {
        try {
            return 2_000 + Files.size(file) / 50_000;
        } catch (IOException e) {
            return 2_000;
        }
    }

    private static <T> Future<T> poll(ExecutorCompletionService<T> done, long millis) {
        try {
            return done.poll(millis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RegistryException(ErrorCode.UNAVAILABLE, "interrupted while replicating");
        }
    }

    private static <T> Future<T> take(ExecutorCompletionService<T> done) {
        try {
            return done.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RegistryException(ErrorCode.UNAVAILABLE, "interrupted while replicating");
        }
    }

    static java.util.concurrent.ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }
}
