package dev.layerfs.imaged.cluster;

import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.util.SizeInBytes;
import org.apache.ratis.util.TimeDuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One member of the metadata Raft group: builds the Ratis server with explicit storage
 * directory, host and port, snapshot and purge policy, and linearizable reads; starts it with
 * FORMAT on a fresh directory and RECOVER on an existing one, so a restart rejoins with its log.
 */
public final class RaftNode implements Closeable {

    private static final Logger LOG = LoggerFactory.getLogger(RaftNode.class);

    /** Every imaged cluster uses this one group id, derived from a constant. */
    public static final RaftGroupId GROUP_ID = RaftGroupId.valueOf(
            UUID.nameUUIDFromBytes("dev.layerfs.imaged/metadata".getBytes(StandardCharsets.UTF_8)));

    private final ClusterSpec spec;
    private final RaftGroup group;
    private final MetaStateMachine stateMachine = new MetaStateMachine();
    private final RaftServer server;
    private final RaftTransport transport;

    public RaftNode(ClusterSpec spec, Path storageDir, RaftTuning tuning) throws IOException {
        this(spec, storageDir, tuning, false);
    }

    /**
     * With {@code join}, a node with fresh storage starts with an empty configuration: it does not
     * campaign, and waits for the leader to add it ({@code imaged cluster add}) and send it the
     * log or a snapshot. With existing storage it recovers as usual (its configuration is in its log).
     */
    public RaftNode(ClusterSpec spec, Path storageDir, RaftTuning tuning, boolean join) throws IOException {
        this(spec, storageDir, tuning, join, RaftTransport.PLAINTEXT);
    }

    /** With {@code transport}: plaintext, or mutual TLS for every Raft connection in and out. */
    public RaftNode(ClusterSpec spec, Path storageDir, RaftTuning tuning, boolean join, RaftTransport transport)
            throws IOException {
        this.spec = spec;
        this.transport = transport;
        this.group = groupOf(spec);
        Files.createDirectories(storageDir);
        RaftProperties props = serverProperties(spec, storageDir, tuning);
        boolean existing = Files.isDirectory(storageDir.resolve(GROUP_ID.getUuid().toString()));
        RaftStorage.StartupOption option = existing ? RaftStorage.StartupOption.RECOVER : RaftStorage.StartupOption.FORMAT;
        boolean joining = join && !existing;
        LOG.info("node {}: Raft storage {} ({}), peers {}, transport {}{}", spec.self(), storageDir, option, spec.peers(),
                transport, joining ? ", joining: waiting for the leader to add this node" : "");
        this.server = RaftServer.newBuilder()
                .setServerId(RaftPeerId.valueOf(spec.self()))
                .setGroup(joining ? RaftGroup.valueOf(GROUP_ID) : group)
                .setStateMachine(stateMachine)
                .setProperties(props)
                .setParameters(transport.parameters())
                .setOption(option)
                .build();
    }

    public void start() throws IOException {
        server.start();
        LOG.info("node {}: Raft server listening on {}", spec.self(), spec.selfAddress());
    }

    public ClusterSpec spec() {
        return spec;
    }

    /** How this node's Raft connections are carried; clients of the group use the same. */
    public RaftTransport transport() {
        return transport;
    }

    public RaftGroup group() {
        return group;
    }

    public MetaStateMachine stateMachine() {
        return stateMachine;
    }

    public boolean isLeader() {
        try {
            return server.getDivision(GROUP_ID).getInfo().isLeader();
        } catch (IOException e) {
            return false;
        }
    }

    /** This member's Raft view right now (role, term, indices, configuration, follower contact). */
    public RaftView view() {
        return RaftView.of(server, GROUP_ID);
    }

    /** The index of the last log entry this node applied to its model. */
    public long lastAppliedIndex() {
        return stateMachine.getLastAppliedTermIndex() == null ? -1 : stateMachine.getLastAppliedTermIndex().getIndex();
    }

    /** How long a stop waits for the Raft server to close (see {@link BoundedClose}). */
    static final java.time.Duration CLOSE_LIMIT = java.time.Duration.ofSeconds(15);

    @Override
    public void close() throws IOException {
        BoundedClose.close("Raft server of node " + spec.self(), server, CLOSE_LIMIT);
    }

    static RaftGroup groupOf(ClusterSpec spec) {
        List<RaftPeer> peers = spec.peers().entrySet().stream()
                .map(e -> RaftPeer.newBuilder().setId(e.getKey()).setAddress(hostPort(e.getValue())).build())
                .toList();
        return RaftGroup.valueOf(GROUP_ID, peers);
    }

    private static String hostPort(InetSocketAddress a) {
        return a.getHostString() + ":" + a.getPort();
    }

    private static RaftProperties serverProperties(ClusterSpec spec, Path storageDir, RaftTuning tuning) {
        InetSocketAddress self = spec.selfAddress();
        RaftProperties p = new RaftProperties();
        RaftServerConfigKeys.setStorageDir(p, List.of(storageDir.toFile()));
        GrpcConfigKeys.Server.setHost(p, self.getHostString());
        GrpcConfigKeys.Server.setPort(p, self.getPort());
        // Election timeouts generous enough that a busy 2-core machine does not flap leaders.
        RaftServerConfigKeys.Rpc.setTimeoutMin(p, TimeDuration.valueOf(1000, TimeUnit.MILLISECONDS));
        RaftServerConfigKeys.Rpc.setTimeoutMax(p, TimeDuration.valueOf(2000, TimeUnit.MILLISECONDS));
        if (spec.size() == 1) {
            // A node alone has no leader to hear from: waiting out a full election timeout after
            // each start only kept every request waiting 1-2 s. Later elections keep the timeouts
            // above, and should the group have grown since (its log says so), pre-vote keeps a
            // quick first campaign from disturbing a leader the others still follow.
            RaftServerConfigKeys.Rpc.setFirstElectionTimeoutMin(p, TimeDuration.valueOf(10, TimeUnit.MILLISECONDS));
            RaftServerConfigKeys.Rpc.setFirstElectionTimeoutMax(p, TimeDuration.valueOf(50, TimeUnit.MILLISECONDS));
        }
        RaftServerConfigKeys.Read.setOption(p, RaftServerConfigKeys.Read.Option.LINEARIZABLE);
        RaftServerConfigKeys.Snapshot.setAutoTriggerEnabled(p, true);
        RaftServerConfigKeys.Snapshot.setAutoTriggerThreshold(p, tuning.snapshotThreshold());
        RaftServerConfigKeys.Snapshot.setRetentionFileNum(p, tuning.retainedSnapshots());
        RaftServerConfigKeys.Log.setPurgeUptoSnapshotIndex(p, true);
        RaftServerConfigKeys.Log.setPurgeGap(p, tuning.purgeGap());
        SizeInBytes segment = SizeInBytes.valueOf(tuning.segmentBytes());
        RaftServerConfigKeys.Log.setSegmentSizeMax(p, segment);
        RaftServerConfigKeys.Log.setPreallocatedSize(p, SizeInBytes.valueOf(Math.min(tuning.segmentBytes(), 4L << 20)));
        // Ratis paces a follower's AppendEntries at least 10 ms apart by default, so an update
        // that arrives just after a send (or a heartbeat) waits out the rest: a third of a lone
        // writer's latency on loopback. Send at once instead; entries that queue meanwhile still
        // travel together, and a slow follower still gets the heartbeat pace.
        RaftServerConfigKeys.Log.Appender.setWaitTimeMin(p, TimeDuration.valueOf(
                Long.getLong("imaged.raft.appendWaitMs", 0), TimeUnit.MILLISECONDS));
        // Manifests (up to 4 MiB, base64 in the command) travel in log entries.
        // Ratis requires the write buffer to exceed the appender's byte limit.
        RaftServerConfigKeys.Log.Appender.setBufferByteLimit(p, SizeInBytes.valueOf(8L << 20));
        RaftServerConfigKeys.Log.setWriteBufferSize(p, SizeInBytes.valueOf((8L << 20) + 1024));
        GrpcConfigKeys.setMessageSizeMax(p, SizeInBytes.valueOf(32L << 20));
        return p;
    }

    /** Properties for clients of this group: the same message size limit as the servers. */
    static RaftProperties clientProperties() {
        RaftProperties p = new RaftProperties();
        GrpcConfigKeys.setMessageSizeMax(p, SizeInBytes.valueOf(32L << 20));
        return p;
    }
}
