package dev.layerfs.cli.imaged;

import com.fasterxml.jackson.databind.JsonNode;
import dev.layerfs.cli.UserError;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code imaged cluster status|add|remove}: the cluster's members and health, and membership changes. */
@Command(name = "cluster", mixinStandardHelpOptions = true,
        description = "Show the cluster, add a node, remove a node (one at a time).",
        subcommands = {ClusterCommand.Status.class, ClusterCommand.Add.class, ClusterCommand.Remove.class})
public final class ClusterCommand {

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = "Nodes, roles, term, commit and applied index, health, blob counts, under-replicated blobs.")
    static final class Status implements Callable<Integer> {
        @picocli.CommandLine.Mixin
        OpsServer target = new OpsServer();

        @Option(names = "--json", description = "Print the status as JSON.")
        boolean json;

        @picocli.CommandLine.Mixin
        ReadOptions read = new ReadOptions();

        @Override
        public Integer call() {
            // Local: this node's own view (roles, indices, its metadata), not the leader's.
            JsonNode s = target.api().call("GET", "/cluster/status" + (read.local() ? "?local=true" : ""),
                    Duration.ofSeconds(30), read.headers());
            if (json) {
                System.out.println(s.toPrettyString());
                return 0;
            }
            JsonNode r = s.get("replication");
            System.out.printf("leader %s, term %d, commit index %d, applied index %d (reported by %s)%n",
                    s.path("leader").asText("none"), s.get("term").asLong(), s.get("commitIndex").asLong(),
                    s.get("appliedIndex").asLong(), s.get("reportedBy").asText());
            System.out.printf("%-12s %-13s %-8s %-22s %-22s %12s %6s%n", "NODE", "ROLE", "HEALTH", "RAFT", "HTTP", "COMMIT", "BLOBS");
            for (JsonNode n : s.get("nodes")) {
                System.out.printf("%-12s %-13s %-8s %-22s %-22s %12d %6d%n", n.get("id").asText(), n.get("role").asText(),
                        n.get("healthy").asBoolean() ? "ok" : "DOWN", n.path("raftAddress").asText("-"),
                        n.path("httpAddress").asText("-"), n.get("commitIndex").asLong(), n.get("blobs").asInt());
            }
            System.out.printf("replication factor %d: %d blobs under-replicated, %d copies in progress%n",
                    r.get("factor").asInt(), r.get("underReplicated").asInt(), r.get("copiesInProgress").asInt());
            for (JsonNode b : r.get("underReplicatedBlobs")) {
                System.out.printf("  %s on %s%n", b.get("digest").asText(), b.get("holders"));
            }
            return 0;
        }
    }

    @Command(name = "add", mixinStandardHelpOptions = true,
            description = {"Add a node to the Raft group. Start it first with",
                    "  imaged serve --id ID --peers <all members and itself> --join ...",
                    "it catches up from the leader (log or snapshot) and then receives blob copies."})
    static final class Add implements Callable<Integer> {
        @picocli.CommandLine.Mixin
        OpsServer target = new OpsServer();

        @Parameters(paramLabel = "ID=HOST:PORT", description = "The new node's id and Raft address.")
        String node;

        @Override
        public Integer call() {
            int eq = node.indexOf('=');
            if (eq <= 0 || eq == node.length() - 1) {
                throw new UserError("node '" + node + "' is not ID=HOST:PORT");
            }
            JsonNode r = target.api().call("POST", "/cluster/members?id=" + OpsApi.q(node.substring(0, eq))
                    + "&address=" + OpsApi.q(node.substring(eq + 1)), Duration.ofMinutes(5));
            System.out.println("members: " + r.get("members"));
            return 0;
        }
    }

    @Command(name = "remove", mixinStandardHelpOptions = true,
            description = {"Remove a node from the Raft group: its blobs are first copied so that every blob keeps",
                    "its replication factor without it; then it leaves and its process can be stopped."})
    static final class Remove implements Callable<Integer> {
        @picocli.CommandLine.Mixin
        OpsServer target = new OpsServer();

        @Parameters(paramLabel = "ID", description = "The node to remove.")
        String id;

        @Override
        public Integer call() {
            JsonNode r = target.api().call("DELETE", "/cluster/members/" + OpsApi.q(id), Duration.ofMinutes(15));
            System.out.println("members: " + r.get("members"));
            return 0;
        }
    }
}
