package dev.layerfs.imaged.ops;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counters and gauges in the Prometheus text exposition format (version 0.0.4). Requests are
 * counted per API area, method and status class, with their total latency, so a scraper can
 * derive rates and mean latencies; gauges are read when scraped.
 */
public final class Metrics {

    private record RequestKey(String area, String method, String status) {
    }

    private static final class Timing {
        final LongAdder count = new LongAdder();
        final LongAdder nanos = new LongAdder();
    }

    private final Map<RequestKey, Timing> requests = new ConcurrentHashMap<>();
    private final LongAdder leaderChanges = new LongAdder();
    private volatile String lastLeader;

    /** The API area of a request path: the label requests are grouped by. */
    public static String area(String path) {
        if (path.startsWith("/v2/")) {
            if (path.contains("/blobs/uploads")) {
                return "uploads";
            }
            for (String a : new String[] {"blobs", "manifests", "tags", "referrers"}) {
                if (path.contains("/" + a + "/")) {
                    return a;
                }
            }
            return "base";
        }
        if (path.startsWith("/internal/")) {
            return "internal";
        }
        int second = path.indexOf('/', 1);
        return second < 0 ? path.substring(1) : path.substring(1, second);
    }

    public void request(String path, String method, int status, long nanos) {
        Timing t = requests.computeIfAbsent(new RequestKey(area(path), method, status / 100 + "xx"), k -> new Timing());
        t.count.increment();
        t.nanos.add(nanos);
    }

    /** Counts a change of the leader this node knows (the first leader seen is not a change). */
    public void leaderSeen(String leader) {
        String before = lastLeader;
        if (leader != null && !leader.equals(before)) {
            if (before != null) {
                leaderChanges.increment();
            }
            lastLeader = leader;
        }
    }

    /** Gauges read at scrape time. */
    public record Gauges(String node, long term, long commitIndex, long appliedIndex, boolean leader, long bytesStored,
                         long localBlobs, int underReplicated, int copiesInProgress) {
    }

    public String render(Gauges g) {
        StringBuilder out = new StringBuilder();
        String node = "node=\"" + g.node() + "\"";
        help(out, "imaged_http_requests_total", "counter", "HTTP requests by API area, method and status class.");
        requests.forEach((k, t) -> out.append("imaged_http_requests_total{").append(labels(node, k)).append("} ")
                .append(t.count.sum()).append('\n'));
        help(out, "imaged_http_request_seconds_sum", "counter", "Total time spent answering, by API area, method and status class.");
        requests.forEach((k, t) -> out.append("imaged_http_request_seconds_sum{").append(labels(node, k)).append("} ")
                .append(t.nanos.sum() / 1e9).append('\n'));
        gauge(out, "imaged_raft_term", "Current Raft term.", node, g.term());
        gauge(out, "imaged_raft_is_leader", "1 when this node is the Raft leader.", node, g.leader() ? 1 : 0);
        help(out, "imaged_raft_leader_changes_total", "counter", "Leader changes this node has seen since it started.");
        out.append("imaged_raft_leader_changes_total{").append(node).append("} ").append(leaderChanges.sum()).append('\n');
        gauge(out, "imaged_raft_commit_index", "Highest log index known committed.", node, g.commitIndex());
        gauge(out, "imaged_raft_applied_index", "Highest log index applied to the metadata.", node, g.appliedIndex());
        gauge(out, "imaged_raft_apply_lag", "Committed entries not yet applied here.", node, Math.max(0, g.commitIndex() - g.appliedIndex()));
        gauge(out, "imaged_blob_bytes_stored", "Bytes of blob files on this node.", node, g.bytesStored());
        gauge(out, "imaged_blobs_stored", "Blob files on this node.", node, g.localBlobs());
        gauge(out, "imaged_replication_under_replicated_blobs", "Blobs below their replication factor (counted up to 1000).", node, g.underReplicated());
        gauge(out, "imaged_replication_copies_in_progress", "Blob copies to other nodes running now.", node, g.copiesInProgress());
        return out.toString();
    }

    private static String labels(String node, RequestKey k) {
        return node + ",area=\"" + k.area() + "\",method=\"" + k.method() + "\",status=\"" + k.status() + "\"";
    }

    private static void help(StringBuilder out, String name, String type, String help) {
        out.append("# HELP ").append(name).append(' ').append(help).append('\n');
        out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    private static void gauge(StringBuilder out, String name, String help, String labels, long value) {
        help(out, name, "gauge", help);
        out.append(name).append('{').append(labels).append("} ").append(value).append('\n');
    }
}
