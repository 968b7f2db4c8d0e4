package dev.layerfs.imaged.server;

import dev.layerfs.imaged.auth.ServerSecurity;
import dev.layerfs.imaged.blob.BlobStore;
import dev.layerfs.imaged.blob.Uploads;
import dev.layerfs.imaged.cluster.RaftMetadataClient;
import dev.layerfs.imaged.cluster.RaftNode;
import dev.layerfs.imaged.cluster.RaftTransport;
import dev.layerfs.imaged.http.AccessHandler;
import dev.layerfs.imaged.http.IndexGate;
import dev.layerfs.imaged.http.HttpServer;
import dev.layerfs.imaged.http.RegistryHandler;
import dev.layerfs.imaged.meta.Command.RegisterNode;
import dev.layerfs.imaged.meta.Query.GetStatus;
import dev.layerfs.imaged.meta.ReadMode;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One imaged node, assembled: blob store and upload sessions under {@code <data>/blobs}, the Raft
 * member under {@code <data>/raft}, the Raft client the registry writes through, blob replication,
 * and the HTTP API. Start, then close on shutdown (in reverse order).
 */
public final class ImagedServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ImagedServer.class);

    /** Upload sessions idle this long are dropped at startup. */
    static final Duration ABANDONED_UPLOAD = Duration.ofDays(7);
    /** How long a read with Imaged-Min-Index waits for this node to apply that entry before answering 503. */
    static final long MIN_INDEX_WAIT_MILLIS = 10_000;

    private final ServerConfig config;
    private final ServerSecurity security;
    private final dev.layerfs.imaged.ops.OpsConfig opsConfig;
    private dev.layerfs.imaged.ops.Operations ops;
    private RaftNode raft;
    private RaftMetadataClient meta;
    private BlobReplication replication;
    private HttpServer http;
    private Thread registration;

    public ImagedServer(ServerConfig config) {
        this(config, ServerSecurity.NONE);
    }

    /** With access control: tokens, TLS, and how to reach peers (see {@link ServerSecurity}). */
    public ImagedServer(ServerConfig config, ServerSecurity security) {
        this(config, security, dev.layerfs.imaged.ops.OpsConfig.DEFAULT);
    }

    /** With operations settings too: node timeout, garbage collection, joining (see {@link dev.layerfs.imaged.ops.OpsConfig}). */
    public ImagedServer(ServerConfig config, ServerSecurity security, dev.layerfs.imaged.ops.OpsConfig opsConfig) {
        this.config = config;
        this.security = security;
        this.opsConfig = opsConfig;
    }

    public void start() throws Exception {
        config.checkAddressesFree();
        Path data = ServerConfig.prepareDataDir(config.dataDir());
        String self = config.cluster().self();
        BlobStore store = new BlobStore(data.resolve("blobs"));
        Uploads uploads = new Uploads(store, self);
        int abandoned = uploads.purgeOlderThan(ABANDONED_UPLOAD);
        if (abandoned > 0) {
            LOG.info("node {}: dropped {} upload sessions idle for more than {}", self, abandoned, ABANDONED_UPLOAD);
        }
        raft = new RaftNode(config.cluster(), data.resolve("raft"), config.tuning(), opsConfig.join(),
                RaftTransport.of(security.raftTls()));
        raft.start();
        meta = new RaftMetadataClient(raft);
        replication = new BlobReplication(self, config.cluster().size(), config.effectiveReplicationFactor(),
                meta, store, new PeerBlobClient(security.peers()));
        replication.followMembership(() -> raft.view().members().size());
        Registry registry = new Registry(meta, store, uploads, replication);
        RegistryHandler routes = new RegistryHandler(self, registry, store, meta, this::status, security.peers());
        ops = new dev.layerfs.imaged.ops.Operations(self, opsConfig, raft, meta, store, replication);
        http = new HttpServer(config.listen(), new AccessHandler(security.policy(),
                new IndexGate(self, raft::lastAppliedIndex, MIN_INDEX_WAIT_MILLIS,
                        new dev.layerfs.imaged.http.OpsRoutes(ops, security.peers(), routes))), security.tls());
        http.start();
        LOG.info("node {}: registry API on {}://{}:{}, data in {}, replication factor {}", self,
                security.tls().isPresent() ? "https" : "http", config.listen().getHostString(), http.port(), data, replication.factor());
        security.warnings(config.listen(), config.cluster().selfAddress()).forEach(w -> LOG.warn("node {}: {}", self, w));
        registration = new Thread(() -> {
            if (register()) {
                reconcile();
            }
        }, "register-node");
        registration.setDaemon(true);
        registration.start();
        replication.startRepairs(raft::isLeader, config.repairPeriodMillis(), ops::unavailable);
        ops.start();
    }

    /** Announces our HTTP address in the metadata; retried until a leader accepts it. */
    private boolean register() {
        String address = config.advertisedHttpAddress();
        while (!Thread.currentThread().isInterrupted()) {
            try {
                meta.submit(new RegisterNode(config.cluster().self(), address));
                LOG.info("node {}: registered HTTP address {}", config.cluster().self(), address);
                return true;
            } catch (dev.layerfs.imaged.oci.RegistryException e) {
                if (e.code() == dev.layerfs.imaged.oci.ErrorCode.DENIED) {
                    // Removed while it was down: it serves nothing as a member; say so once and stop trying.
                    LOG.error("node {}: the cluster refuses this node: {}", config.cluster().self(), e.getMessage());
                    return false;
                }
                LOG.info("node {}: cannot register yet ({}), retrying", config.cluster().self(), e.getMessage());
                if (!pause()) {
                    return false;
                }
            } catch (RuntimeException e) {
                LOG.info("node {}: cannot register yet ({}), retrying", config.cluster().self(), e.getMessage());
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException ie) {
                    return false;
                }
            }
        }
        return false;
    }

    private static boolean pause() {
        try {
            Thread.sleep(1000);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Once registered: stop claiming blobs whose bytes this node lost, so repair re-copies them. */
    private void reconcile() {
        try {
            int dropped = replication.reconcileLocalHolders();
            if (dropped > 0) {
                LOG.warn("node {}: {} blobs recorded here are missing from {}; repair will re-copy them",
                        config.cluster().self(), dropped, config.dataDir());
            }
        } catch (RuntimeException e) {
            LOG.warn("node {}: could not check local blobs against the metadata: {}", config.cluster().self(), e.getMessage());
        }
    }

    public InetSocketAddress httpAddress() {
        return new InetSocketAddress(config.listen().getHostString(), http.port());
    }

    /** What {@code /internal/status} reports: role, applied index and local counts. */
    public Object status() {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("node", config.cluster().self());
        s.put("leader", raft.isLeader());
        s.put("appliedIndex", raft.lastAppliedIndex());
        s.put("metadata", meta.read(new GetStatus(), ReadMode.LOCAL).orElse(null));
        return s;
    }

    @Override
    public void close() {
        LOG.info("node {}: shutting down", config.cluster().self());
        if (registration != null) {
            registration.interrupt();
        }
        closeQuietly("HTTP server", http);
        closeQuietly("operations", ops);
        closeQuietly("blob replication", replication);
        closeQuietly("Raft client", meta);
        closeQuietly("Raft server", raft);
        LOG.info("node {}: stopped", config.cluster().self());
    }

    private static void closeQuietly(String what, AutoCloseable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Exception e) {
            LOG.warn("closing {} failed: {}", what, e.toString());
        }
    }
}
