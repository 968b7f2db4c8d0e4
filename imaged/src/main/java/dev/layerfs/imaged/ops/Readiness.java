package dev.layerfs.imaged.ops;

import dev.layerfs.imaged.cluster.RaftView;

/**
 * Whether this node can serve the registry now, for load balancers and health checks
 * ({@code GET /ready}). The OCI base endpoint {@code /v2/} answers as soon as HTTP is up, but
 * until the node is a member of the group and knows a Raft leader every request that touches
 * metadata waits (for the 1-2 s of an election after a restart, or for as long as a majority is
 * unreachable): a balancer should send requests elsewhere meanwhile.
 */
public record Readiness(boolean ready, String node, String leader, long commitIndex, long appliedIndex, String reason) {

    public static Readiness of(RaftView view) {
        String self = view.self();
        if ("UNKNOWN".equals(view.role())) {
            return new Readiness(false, self, null, -1, -1, "node " + self + " has no running Raft server");
        }
        if (!view.members().containsKey(self)) {
            return new Readiness(false, self, view.leader(), view.commitIndex(), view.appliedIndex(),
                    "node " + self + " is not a member of the cluster configuration (a --join node waits to be added)");
        }
        if (view.leader() == null) {
            return new Readiness(false, self, null, view.commitIndex(), view.appliedIndex(),
                    "node " + self + " knows no Raft leader (an election is under way, or a majority of "
                            + view.members().keySet() + " is unreachable)");
        }
        return new Readiness(true, self, view.leader(), view.commitIndex(), view.appliedIndex(),
                self.equals(view.leader()) ? "node " + self + " is the leader" : "node " + self + " follows leader " + view.leader());
    }
}
