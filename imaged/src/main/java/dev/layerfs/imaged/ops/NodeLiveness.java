package dev.layerfs.imaged.ops;

import dev.layerfs.imaged.cluster.RaftView;
import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Which nodes have been silent longer than the node timeout, as the Raft leader sees it: the
 * leader hears from every follower several times a second, so "no answer for the timeout" is a
 * node that is down or cut off. Only the leader judges; on other nodes nothing is unavailable
 * (they do not run repairs). A node the leader has never heard from counts from when it was
 * first noticed.
 */
public final class NodeLiveness {

    private final long timeoutMillis;
    private final LongSupplier clock;
    private final Map<String, Long> lastSeen = new ConcurrentHashMap<>();

    public NodeLiveness(long timeoutMillis, LongSupplier clock) {
        this.timeoutMillis = timeoutMillis;
        this.clock = clock;
    }

    public long timeoutMillis() {
        return timeoutMillis;
    }

    /** Records what the leader knows now; {@code registered}: every node in the metadata. */
    public void observe(RaftView view, Collection<String> registered) {
        long now = clock.getAsLong();
        if (!view.isLeader()) {
            lastSeen.clear();
            return;
        }
        lastSeen.put(view.self(), now);
        view.followerLastContactMillis().forEach((id, elapsed) -> lastSeen.merge(id, now - elapsed, Math::max));
        for (String id : registered) {
            lastSeen.putIfAbsent(id, now);
        }
    }

    /** Milliseconds since the leader last heard from {@code node}; -1 when unknown (not the leader). */
    public long silenceMillis(String node) {
        Long seen = lastSeen.get(node);
        return seen == null ? -1 : clock.getAsLong() - seen;
    }

    public boolean healthy(String node) {
        long silence = silenceMillis(node);
        return silence >= 0 && silence < timeoutMillis;
    }

    /** Nodes silent longer than the timeout: their copies do not count and get replaced. */
    public Set<String> unavailable() {
        Set<String> gone = new TreeSet<>();
        long now = clock.getAsLong();
        lastSeen.forEach((id, seen) -> {
            if (now - seen >= timeoutMillis) {
                gone.add(id);
            }
        });
        return gone;
    }

    /** Forget a node that left the cluster. */
    public void forget(String node) {
        lastSeen.remove(node);
    }
}
