package dev.layerfs.imaged.server;

import dev.layerfs.imaged.auth.ServerSecurity;
import dev.layerfs.imaged.cluster.ClusterSpec;
import dev.layerfs.imaged.cluster.RaftTuning;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * A plain entry point for one node, used by the multi-process tests and by hand:
 * {@code --id ID --peers id=host:port,... --listen host:port --data DIR
 * [--replication N] [--snapshot-threshold N] [--repair-period-ms N]}, and the access options of
 * {@link SecurityOptions}.
 * The {@code imaged serve} command is the user-facing launcher for the same server.
 */
public final class ImagedMain {

    private ImagedMain() {
    }

    public static void main(String[] args) throws Exception {
        ServerConfig config;
        ServerSecurity security;
        dev.layerfs.imaged.ops.OpsConfig ops;
        try {
            dev.layerfs.imaged.ops.OpsConfig.Parsed parsed = dev.layerfs.imaged.ops.OpsConfig.extract(args);
            ops = parsed.config();
            SecurityOptions secure = SecurityOptions.extract(parsed.rest());
            config = parse(secure.rest());
            security = secure.load();
        } catch (IllegalArgumentException e) {
            System.err.println("imaged: " + e.getMessage());
            System.exit(2);
            return;
        }
        try {
            runUntilShutdown(new ImagedServer(config, security, ops));
        } catch (Exception e) {
            System.err.println("imaged: " + e.getMessage());
            System.exit(1);
        }
    }

    /**
     * Starts the server and blocks until the JVM is asked to stop (SIGTERM, SIGINT), then closes
     * it. A server that fails to start is closed before the failure is rethrown, so no Raft or
     * HTTP thread keeps the JVM alive.
     */
    public static void runUntilShutdown(ImagedServer server) throws Exception {
        CountDownLatch stopped = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            server.close();
            stopped.countDown();
        }, "imaged-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            server.start();
        } catch (Exception e) {
            Runtime.getRuntime().removeShutdownHook(hook);
            server.close();
            throw e;
        }
        stopped.await();
    }

    static ServerConfig parse(String[] args) {
        String id = null;
        String peers = null;
        String listen = ServerConfig.DEFAULT_LISTEN;
        String data = null;
        int replication = 0;
        long snapshotThreshold = RaftTuning.DEFAULT.snapshotThreshold();
        long repairPeriod = 10_000;
        for (int i = 0; i < args.length; i++) {
            String value = i + 1 < args.length ? args[i + 1] : null;
            if (value == null) {
                throw new IllegalArgumentException("option " + args[i] + " needs a value");
            }
            switch (args[i]) {
                case "--id" -> id = value;
                case "--peers" -> peers = value;
                case "--listen" -> listen = value;
                case "--data" -> data = value;
                case "--replication" -> replication = Integer.parseInt(value);
                case "--snapshot-threshold" -> snapshotThreshold = Long.parseLong(value);
                case "--repair-period-ms" -> repairPeriod = Long.parseLong(value);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
            i++;
        }
        if (id == null || peers == null || data == null) {
            throw new IllegalArgumentException("--id, --peers and --data are required");
        }
        InetSocketAddress http = ClusterSpec.parseAddress(listen, "--listen");
        RaftTuning tuning = snapshotThreshold == RaftTuning.DEFAULT.snapshotThreshold()
                ? RaftTuning.DEFAULT : RaftTuning.aggressive(snapshotThreshold);
        return new ServerConfig(ClusterSpec.parse(id, peers), http, Path.of(data), replication, tuning, repairPeriod);
    }
}
