package dev.layerfs.cli.imaged;

import dev.layerfs.cli.UserError;
import dev.layerfs.imaged.auth.ServerSecurity;
import dev.layerfs.imaged.cluster.ClusterSpec;
import dev.layerfs.imaged.cluster.RaftTuning;
import dev.layerfs.imaged.server.ImagedMain;
import dev.layerfs.imaged.server.ImagedServer;
import dev.layerfs.imaged.server.ServerConfig;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Optional;
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
                "With --peers: one node of a Raft group; every node answers every request.",
                "Access: --token-file guards writes (and reads with --auth-pulls), --cluster-token-file guards "
                        + "the node-to-node endpoints, --tls-cert/--tls-key serve HTTPS, --raft-tls-cert/--raft-tls-key/"
                        + "--raft-tls-ca make Raft (gRPC) mutual TLS: only holders of a certificate from that CA can "
                        + "speak Raft to this node. Without them Raft has no authentication: it binds to this node's "
                        + "--peers address only; keep that on a private network or firewall it to the other peers."})
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

    @Option(names = "--token-file", paramLabel = "FILE",
            description = "Tokens (one per line, at least 16 characters) that pushes, deletes and cluster changes must present, "
                    + "as 'Authorization: Bearer TOKEN' or HTTP Basic with the token as password "
                    + "(skopeo --dest-creds imaged:TOKEN). Without it, anyone who reaches --listen may write.")
    Path tokenFile;

    @Option(names = "--auth-pulls",
            description = "Pulls need a token from --token-file too (default: pulls are anonymous).")
    boolean authPulls;

    @Option(names = "--cluster-token-file", paramLabel = "FILE",
            description = "The secret every node of the cluster shares (same file on each): nodes send it on their "
                    + "calls to each other, and the node-to-node endpoints /internal/* refuse requests without it. "
                    + "Without it they are open to any client (a warning is logged).")
    Path clusterTokenFile;

    @Option(names = "--tls-cert", paramLabel = "FILE",
            description = "Serve the API over HTTPS with this PEM certificate (chain); needs --tls-key. "
                    + "Nodes then also talk to each other over HTTPS, trusting this certificate.")
    Path tlsCert;

    @Option(names = "--tls-key", paramLabel = "FILE", description = "The certificate's private key (PEM, unencrypted PKCS#8).")
    Path tlsKey;

    @Option(names = "--peer-ca-file", paramLabel = "FILE",
            description = "PEM certificates the other nodes' TLS certificates chain to "
                    + "(default: trust --tls-cert itself, for a cluster sharing one certificate).")
    Path peerCaFile;

    @Option(names = "--raft-tls-cert", paramLabel = "FILE",
            description = "This node's certificate (PEM chain) for Raft mutual TLS, presented to peers and by this node's "
                    + "Raft clients; its subjectAltName must match this node's host in --peers. Needs --raft-tls-key and "
                    + "--raft-tls-ca, and the same on every node.")
    Path raftTlsCert;

    @Option(names = "--raft-tls-key", paramLabel = "FILE", description = "The private key of --raft-tls-cert (PEM, unencrypted PKCS#8).")
    Path raftTlsKey;

    @Option(names = "--raft-tls-ca", paramLabel = "FILE",
            description = "The CA certificate(s) (PEM) every Raft peer's certificate must chain to; connections without "
                    + "such a certificate are refused.")
    Path raftTlsCa;

    @Override
    public Integer call() throws Exception {
        ServerSecurity security = security(); // before config(), which creates the data directory
        ServerConfig config = config();
        ImagedMain.runUntilShutdown(new ImagedServer(config, security, ops.config()));
        return 0;
    }

    /** Reads and checks the token, certificate and key files before anything starts. */
    ServerSecurity security() {
        try {
            return ServerSecurity.fromFiles(Optional.ofNullable(tokenFile), authPulls, Optional.ofNullable(clusterTokenFile),
                    Optional.ofNullable(tlsCert), Optional.ofNullable(tlsKey), Optional.ofNullable(peerCaFile),
                    new ServerSecurity.RaftFiles(Optional.ofNullable(raftTlsCert), Optional.ofNullable(raftTlsKey),
                            Optional.ofNullable(raftTlsCa)));
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage(), e);
        }
    }

    /** Validates every option before anything starts; each mistake is one line naming the value. */
    ServerConfig config() {
        try {
            InetSocketAddress http = ClusterSpec.parseAddress(listen, "--listen");
            Path dir = data != null ? data : ServerConfig.defaultDataDir();
            RaftTuning tuning = snapshotThreshold == RaftTuning.DEFAULT.snapshotThreshold()
                    ? RaftTuning.DEFAULT
                    : new RaftTuning(snapshotThreshold, RaftTuning.DEFAULT.retainedSnapshots(),
                            RaftTuning.DEFAULT.segmentBytes(), RaftTuning.DEFAULT.purgeGap());
            if (replication < 0) {
                throw new IllegalArgumentException("--replication must be positive, got " + replication);
            }
            ServerConfig config;
            if (peers == null) {
                String self = id != null ? id : ServerConfig.EMBEDDED_NODE_ID;
                ClusterSpec.checkNodeId(self);
                config = ServerConfig.embedded(self, http, dir, tuning);
            } else if (id == null) {
                throw new IllegalArgumentException("--peers needs --id to say which peer this node is");
            } else {
                config = new ServerConfig(ClusterSpec.parse(id, peers), http, dir, replication, tuning, 10_000);
            }
            // Ports before the data directory: a refused start leaves nothing behind.
            config.checkAddressesFree();
            ServerConfig.prepareDataDir(dir);
            return config;
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage(), e);
        }
    }
}
