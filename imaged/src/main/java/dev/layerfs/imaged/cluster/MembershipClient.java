package dev.layerfs.imaged.cluster;

import java.io.Closeable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.util.TimeDuration;

/**
 * Changes the Raft group's membership through the Ratis admin API (setConfiguration), one node at
 * a time: the leader first brings a new member up to date (log or snapshot) as a staging peer,
 * then commits the joint and the new configuration.
 */
public final class MembershipClient implements Closeable {

    private final RaftClient client;

    /**
     * {@code members}: the current configuration, as reported by this node (id to Raft address);
     * {@code transport}: this node's, so that with mutual TLS the admin calls present its certificate.
     */
    public MembershipClient(java.util.Map<String, String> members, RaftTransport transport) {
        RaftProperties p = RaftNode.clientProperties();
        // Catching a new member up can take a while on a busy machine.
        RaftClientConfigKeys.Rpc.setRequestTimeout(p, TimeDuration.valueOf(60, TimeUnit.SECONDS));
        this.client = RaftClient.newBuilder()
                .setProperties(p)
                .setParameters(transport.parameters())
                .setRaftGroup(RaftGroup.valueOf(RaftNode.GROUP_ID, peers(members)))
                .setRetryPolicy(RetryPolicies.retryUpToMaximumCountWithFixedSleep(20, TimeDuration.valueOf(500, TimeUnit.MILLISECONDS)))
                .build();
    }

    /** Sets the configuration to exactly {@code members}; returns when it is committed. */
    public void setMembers(java.util.Map<String, String> members) throws IOException {
        RaftClientReply reply = client.admin().setConfiguration(peers(members));
        if (!reply.isSuccess()) {
            throw new IOException("the Raft group refused the configuration " + members + ": "
                    + (reply.getException() == null ? "no reason given" : reply.getException().getMessage()));
        }
    }

    private static List<RaftPeer> peers(java.util.Map<String, String> members) {
        List<RaftPeer> peers = new ArrayList<>();
        members.forEach((id, address) -> peers.add(RaftPeer.newBuilder().setId(id).setAddress(address).build()));
        return peers;
    }

    @Override
    public void close() throws IOException {
        client.close();
    }
}
