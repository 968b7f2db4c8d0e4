package dev.layerfs.imaged.ops;

import dev.layerfs.imaged.cluster.ClusterSpec;
import dev.layerfs.imaged.cluster.MembershipClient;
import dev.layerfs.imaged.cluster.RaftNode;
import dev.layerfs.imaged.meta.Command;
import dev.layerfs.imaged.meta.Command.MarkLeaving;
import dev.layerfs.imaged.meta.Command.RemoveNode;
import dev.layerfs.imaged.meta.MetadataService;
import dev.layerfs.imaged.oci.ErrorCode;
import dev.layerfs.imaged.oci.RegistryException;
import dev.layerfs.imaged.server.BlobReplication;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Adds and removes cluster members, one at a time. Adding: the new node was started with
 * {@code --join} (empty configuration, so it waits); setConfiguration makes the leader catch it
 * up and commit the larger group; the node then registers its HTTP address and repairs copy
 * blobs to it. Removing: first every blob the leaving node holds is copied until it has its
 * replication factor without that node, then the node leaves the Raft configuration, then the
 * metadata forgets it; the leaving process can then be stopped.
 */
public final class Membership {

    private static final Logger LOG = LoggerFactory.getLogger(Membership.class);
    private static final Duration DRAIN_LIMIT = Duration.ofMinutes(10);

    private final RaftNode raft;
    private final MetadataService meta;
    private final BlobReplication replication;
    private final NodeLiveness liveness;

    public Membership(RaftNode raft, MetadataService meta, BlobReplication replication, NodeLiveness liveness) {
        this.raft = raft;
        this.meta = meta;
        this.replication = replication;
        this.liveness = liveness;
    }

    public Map<String, String> add(String id, String raftAddress) throws IOException {
        ClusterSpec.checkNodeId(id);
        ClusterSpec.parseAddress(raftAddress, "new node " + id);
        Map<String, String> members = new TreeMap<>(raft.view().members());
        if (members.containsKey(id)) {
            throw bad("node " + id + " is already a member (" + members.get(id) + ")", id);
        }
        if (members.containsValue(raftAddress)) {
            throw bad("Raft address " + raftAddress + " is already used by a member", raftAddress);
        }
        Map<String, String> next = new TreeMap<>(members);
        next.put(id, raftAddress);
        LOG.info("adding node {} at {}: configuration {} -> {}", id, raftAddress, members.keySet(), next.keySet());
        meta.submit(new Command.AdmitNode(id));
        try (MembershipClient client = new MembershipClient(members, raft.transport())) {
            client.setMembers(next);
        } catch (MembershipClient.NewMemberUnreachableException e) {
            LOG.warn("node {} at {} was not added: {}", id, raftAddress, e.getMessage());
            throw new RegistryException(ErrorCode.UNAVAILABLE, ErrorCode.UNAVAILABLE.status(),
                    "node " + id + " at " + raftAddress + " was not added, the configuration is unchanged: " + e.getMessage(), id);
        }
        LOG.info("node {} is a member", id);
        return next;
    }

    public Map<String, String> remove(String id) throws IOException {
        Map<String, String> members = new TreeMap<>(raft.view().members());
        if (!members.containsKey(id)) {
            throw new RegistryException(ErrorCode.NAME_UNKNOWN, 404, "node " + id + " is not a member of " + members.keySet(), id);
        }
        if (members.size() == 1) {
            throw bad("node " + id + " is the only member; a cluster cannot remove its last node", id);
        }
        meta.submit(new MarkLeaving(id, true));
        try {
            drain(id);
        } catch (RuntimeException e) {
            meta.submit(new MarkLeaving(id, false));
            throw e;
        }
        Map<String, String> next = new TreeMap<>(members);
        next.remove(id);
        LOG.info("removing node {}: configuration {} -> {}", id, members.keySet(), next.keySet());
        try (MembershipClient client = new MembershipClient(members, raft.transport())) {
            client.setMembers(next);
        }
        meta.submit(new RemoveNode(id));
        liveness.forget(id);
        LOG.info("node {} left the cluster; its process can be stopped", id);
        return next;
    }

    /** Copies until no blob relies on {@code leaving} for its replication factor. */
    private void drain(String leaving) {
        Instant deadline = Instant.now().plus(DRAIN_LIMIT);
        while (true) {
            Set<String> unavailable = new HashSet<>(liveness.unavailable());
            unavailable.add(leaving);
            int below = replication.repairOnce(unavailable);
            if (below == 0) {
                LOG.info("every blob has its replication factor without node {}", leaving);
                return;
            }
            if (Instant.now().isAfter(deadline)) {
                throw new RegistryException(ErrorCode.UNAVAILABLE, 503, below + " blobs still rely on node " + leaving
                        + " after " + DRAIN_LIMIT + "; not removing it", leaving);
            }
            LOG.info("{} blobs still rely on node {}: copying", below, leaving);
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new RegistryException(ErrorCode.UNAVAILABLE, "interrupted while draining node " + leaving);
            }
        }
    }

    private static RegistryException bad(String message, String detail) {
        return new RegistryException(ErrorCode.NAME_INVALID, 400, message, detail);
    }
}
