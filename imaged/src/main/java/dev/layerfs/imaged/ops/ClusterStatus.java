package dev.layerfs.imaged.ops;

import dev.layerfs.imaged.cluster.RaftNode;
import dev.layerfs.imaged.cluster.RaftView;
import dev.layerfs.imaged.meta.Answers.Overview;
import dev.layerfs.imaged.meta.BlobRecord;
import dev.layerfs.imaged.meta.MetadataService;
import dev.layerfs.imaged.meta.NodeRecord;
import dev.layerfs.imaged.meta.Query;
import dev.layerfs.imaged.meta.ReadMode;
import dev.layerfs.imaged.server.BlobReplication;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The cluster as one node sees it, for {@code imaged cluster status}, the status page and
 * metrics. Health and follower positions are the leader's knowledge, so a follower asked for
 * the status forwards the question to the leader (see the HTTP handler); this class reports
 * what this node knows.
 */
public final class ClusterStatus {

    /** Under-replicated blobs counted at most this far, and listed at most this many. */
    static final int UNDER_LIMIT = 1000;
    static final int UNDER_LISTED = 20;

    private final RaftNode raft;
    private final MetadataService meta;
    private final BlobReplication replication;
    private final NodeLiveness liveness;

    public ClusterStatus(RaftNode raft, MetadataService meta, BlobReplication replication, NodeLiveness liveness) {
        this.raft = raft;
        this.meta = meta;
        this.replication = replication;
        this.liveness = liveness;
    }

    public record Node(String id, String role, boolean member, String raftAddress, String httpAddress,
                       boolean healthy, long silenceMillis, long commitIndex, int blobs) {
    }

    public record Replication(int factor, int underReplicated, List<BlobRecord> underReplicatedBlobs,
                              int copiesInProgress, Set<String> unavailableNodes, long nodeTimeoutMillis) {
    }

    public record Report(String reportedBy, String leader, long term, long commitIndex, long appliedIndex,
                         List<Node> nodes, Replication replication, Overview contents) {
    }

    /** Refreshes the leader's liveness view (called periodically, and before each report). */
    public RaftView observe() {
        RaftView view = raft.view();
        List<String> registered = meta.read(new Query.ListNodes(), ReadMode.LOCAL).orElseThrow().nodes().stream()
                .map(NodeRecord::id).toList();
        liveness.observe(view, registered);
        return view;
    }

    public Report report() {
        RaftView view = observe();
        Map<String, NodeRecord> registered = new TreeMap<>();
        meta.read(new Query.ListNodes(), ReadMode.LOCAL).orElseThrow().nodes().forEach(n -> registered.put(n.id(), n));
        Overview contents = meta.read(new Query.GetOverview(50, 20), ReadMode.LOCAL).orElseThrow();
        Set<String> ids = new TreeSet<>(view.members().keySet());
        ids.addAll(registered.keySet());
        List<Node> nodes = new ArrayList<>();
        for (String id : ids) {
            boolean member = view.members().containsKey(id);
            String role = !member ? "NOT_A_MEMBER" : id.equals(view.leader()) ? "LEADER" : "FOLLOWER";
            boolean healthy = view.isLeader() ? liveness.healthy(id) : id.equals(view.self());
            NodeRecord http = registered.get(id);
            nodes.add(new Node(id, role, member, view.members().get(id), http == null ? null : http.httpAddress(), healthy,
                    liveness.silenceMillis(id), view.memberCommitIndex().getOrDefault(id, -1L),
                    contents.blobsPerNode().getOrDefault(id, 0)));
        }
        Set<String> unavailable = liveness.unavailable();
        int factor = replication.factor();
        List<BlobRecord> under = meta.read(new Query.UnderReplicatedAmong(factor, List.copyOf(unavailable), null, UNDER_LIMIT),
                ReadMode.LOCAL).orElseThrow().blobs();
        Replication rep = new Replication(factor, under.size(), under.subList(0, Math.min(UNDER_LISTED, under.size())),
                replication.copiesInProgress(), unavailable, liveness.timeoutMillis());
        return new Report(view.self(), view.leader(), view.term(), view.commitIndex(), view.appliedIndex(), nodes, rep, contents);
    }
}
