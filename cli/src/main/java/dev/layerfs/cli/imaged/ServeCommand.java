package dev.layerfs.cli.imaged;

import dev.layerfs.cli.UserError;
import dev.layerfs.imaged.cluster.ClusterSpec;
import dev.layerfs.imaged.cluster.RaftTuning;
import dev.layerfs.imaged.server.ImagedMain;
import dev.layerfs.imaged.server.ImagedServer;
import dev.layerfs.imaged.server.ServerConfig;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code imaged serve}: runs one registry node until SIGTERM. Without {@code --peers} it is a
 * one-node cluster (the embedded default); with {@code --peers} it is one member of a Raft group.
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Run an imaged registry node (OCI Distribution API over HTTP).",
                "Without --peers: a one-node cluster on 127.0.0.1:5000 (Raft on the next port).",
                "With --peers: one node of a Raft group; every node answers every request."})
public final class ServeCommand implements Callable<Integer> {

    @Option(names = "--id", paramLabel = "ID", description = "This node's id; must be one of --peers (default: local).")
    String id;

    @Option(names = "--peers", paramLabel = "ID=HOST:PORT,...",
            description = "Raft addresses of every member, this node included.")
    String peers;

    @Option(names = "--listen", paramLabel = "HOST:PORT", defaultValue = ServerConfig.DEFAULT_LISTEN,
            description = "Address of the HTTP API (default: ${DEFAULT-VALUE}).")
    String listen;

    @Option(names = "--data", paramLabel = "DIR",
            description = "Data directory (default: /var/lib/imaged for root, else $XDG_DATA_HOME/imaged).")
    Path data;

    @Option(names = "--replication", paramLabel = "N", defaultValue = "0",
            description = "Nodes that keep each blob (default: min(3, cluster size)).")
    int replication;

    @Option(names = "--snapshot-threshold", paramLabel = "ENTRIES", defaultValue = "10000",
            description = "Take a metadata snapshot every this many log entries (default: ${DEFAULT-VALUE}).")
    long snapshotThreshold;

    @picocli.CommandLine.Mixin
    OpsOptions ops = new OpsOptions();

    @Override
    public Integer call() throws Exception {
        ImagedMain.runUntilShutdown(new ImagedServer(config(), ops.config()));
        return 0;
    }

    /** Validates every option before anything starts; each mistake is one line naming the value. */
    ServerConfig config() {
        try {
            InetSocketAddress http = ClusterSpec.parseAddress(listen, "--listen");
            Path dir = ServerConfig.prepareDataDir(data != null ? data : ServerConfig.defaultDataDir());
            RaftTuning tuning = snapshotThreshold == RaftTuning.DEFAULT.snapshotThreshold()
                    ? RaftTuning.DEFAULT
                    : new RaftTuning(snapshotThreshold, RaftTuning.DEFAULT.retainedSnapshots(),
                            RaftTuning.DEFAULT.segmentBytes(), RaftTuning.DEFAULT.purgeGap());
            if (replication < 0) {
                throw new IllegalArgumentException("--replication must be positive, got " + replication);
            }
            if (peers == null) {
                String self = id != null ? id : ServerConfig.EMBEDDED_NODE_ID;
                ClusterSpec.checkNodeId(self);
                return ServerConfig.embedded(self, http, dir, tuning);
            }
            if (id == null) {
                throw new IllegalArgumentException("--peers needs --id to say which peer this node is");
            }
            return new ServerConfig(ClusterSpec.parse(id, peers), http, dir, replication, tuning, 10_000);
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage(), e);
        }
    }
}
