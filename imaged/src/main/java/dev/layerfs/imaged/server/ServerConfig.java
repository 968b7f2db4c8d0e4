package dev.layerfs.imaged.server;

import dev.layerfs.imaged.cluster.ClusterSpec;
import dev.layerfs.imaged.cluster.RaftTuning;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Everything a node needs to start: its cluster membership (Raft addresses), the HTTP address it
 * serves the registry API on, its data directory, the blob replication factor (0 = the default,
 * min(3, cluster size)), the Raft log/snapshot policy and the repair period.
 */
public record ServerConfig(ClusterSpec cluster, InetSocketAddress listen, Path dataDir, int replicationFactor,
                           RaftTuning tuning, long repairPeriodMillis) {

    public static final String DEFAULT_LISTEN = "127.0.0.1:5000";
    public static final String EMBEDDED_NODE_ID = "local";

    public ServerConfig {
        if (replicationFactor < 0) {
            throw new IllegalArgumentException("replication factor must be positive, got " + replicationFactor);
        }
    }

    /**
     * {@code imaged serve} without {@code --peers}: a one-node cluster whose Raft port is on
     * loopback only, right after the HTTP port (5001 for the default 5000).
     */
    public static ServerConfig embedded(String nodeId, InetSocketAddress listen, Path dataDir, RaftTuning tuning) {
        if (listen.getPort() >= 65535) {
            throw new IllegalArgumentException("--listen port " + listen.getPort() + " leaves no room for the Raft port after it");
        }
        InetSocketAddress raft = InetSocketAddress.createUnresolved("127.0.0.1", listen.getPort() + 1);
        return new ServerConfig(new ClusterSpec(nodeId, Map.of(nodeId, raft)), listen, dataDir, 0, tuning, 10_000);
    }

    public int effectiveReplicationFactor() {
        return Math.min(replicationFactor == 0 ? 3 : replicationFactor, cluster.size());
    }

    /** /var/lib/imaged for root, else $XDG_DATA_HOME/imaged (default ~/.local/share/imaged). */
    public static Path defaultDataDir() {
        if ("root".equals(System.getProperty("user.name"))) {
            return Path.of("/var/lib/imaged");
        }
        String xdg = System.getenv("XDG_DATA_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".local", "share");
        return base.resolve("imaged");
    }

    /** Creates the data directory if needed; a directory we cannot write is refused, naming it. */
    public static Path prepareDataDir(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot create data directory " + dir + ": " + e.getMessage());
        }
        if (!Files.isDirectory(dir) || !Files.isWritable(dir)) {
            throw new IllegalArgumentException("data directory " + dir + " is not a writable directory");
        }
        return dir;
    }

    /**
     * Refuses, before anything is created or started, a listen address that cannot be bound: most
     * often a second imaged on the same ports. (Ratis would otherwise end the JVM with a stack
     * trace after the data directory was already formatted.) Not a mistake in the arguments but
     * the machine's state, hence IllegalStateException.
     */
    public void checkAddressesFree() {
        checkFree("the registry API (--listen)", listen);
        checkFree("Raft (node " + cluster.self() + ")", cluster.selfAddress());
    }

    private static void checkFree(String what, InetSocketAddress address) {
        if (address.getPort() == 0) {
            return;
        }
        String shown = address.getHostString() + ":" + address.getPort();
        try (ServerSocket probe = new ServerSocket()) {
            probe.setReuseAddress(true); // as the servers bind: a port in TIME_WAIT is not busy
            probe.bind(address.isUnresolved() ? new InetSocketAddress(address.getHostString(), address.getPort()) : address);
        } catch (IOException e) {
            throw new IllegalStateException("cannot listen for " + what + " on " + shown + ": " + e.getMessage()
                    + " (is another imaged running there?)");
        }
    }

    /** The address peers reach this node's HTTP API at (a wildcard listen uses the Raft host). */
    public String advertisedHttpAddress() {
        String host = listen.getHostString();
        if (host.equals("0.0.0.0") || host.equals("::") || host.isEmpty()) {
            host = cluster.selfAddress().getHostString();
        }
        return host + ":" + listen.getPort();
    }
}
