package dev.layerfs.cli.imaged;

import dev.layerfs.cli.UserError;
import dev.layerfs.imaged.http.IndexGate;
import dev.layerfs.imaged.http.RegistryHandler;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * How fresh a read must be: linearizable (the default: it sees every write acknowledged before
 * it started), or this node's local state, possibly stale but answered without the leader; and
 * optionally not older than a write the caller made ({@code --min-index}, the index a write
 * printed), which gives read-your-writes on any node, local reads included.
 */
public final class ReadOptions {

    @Option(names = "--consistency", paramLabel = "linearizable|local", defaultValue = "linearizable",
            description = "linearizable (default): sees every write acknowledged before the read; local: the answering node's"
                    + " state, possibly stale, fast and available without a leader.")
    String consistency = "linearizable";

    @Option(names = "--min-index", paramLabel = "N",
            description = "Read only once the node has applied Raft index N (printed by the write, e.g. imaged push): read-your-writes"
                    + " on any node, with --consistency=local too. The node waits up to 10 s, then refuses (HTTP 503).")
    Long minIndex;

    public boolean local() {
        return switch (consistency) {
            case "local" -> true;
            case "linearizable" -> false;
            default -> throw new UserError("--consistency " + consistency + " is neither linearizable nor local");
        };
    }

    public Map<String, String> headers() {
        Map<String, String> headers = new LinkedHashMap<>();
        if (local()) {
            headers.put(RegistryHandler.CONSISTENCY_HEADER, "local");
        }
        if (minIndex != null) {
            if (minIndex < 0) {
                throw new UserError("--min-index " + minIndex + " is not a Raft index (a number >= 0)");
            }
            headers.put(IndexGate.MIN_INDEX_HEADER, Long.toString(minIndex));
        }
        return headers;
    }
}
