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
import org.apache.ratis.protocol.exceptions.ReconfigurationTimeoutException;
import org.apache.ratis.retry.ExceptionDependentRetry;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.util.TimeDuration;

/**
 * Changes the Raft group's membership through the Ratis admin API (setConfiguration), one node at
 * a time: the leader first brings a new member up to date (log or snapshot) as a staging peer,
 * then commits the joint and the new configuration.
 */
public final class MembershipClient implements Closeable {

    private final RaftClient client;
    private final RaftTransport transport;

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
                .setRetryPolicy(ExceptionDependentRetry.newBuilder()
                        .setDefaultPolicy(RetryPolicies.retryUpToMaximumCountWithFixedSleep(20, TimeDuration.valueOf(500, TimeUnit.MILLISECONDS)))
                        // A new member that never answers the leader fails staging after 3 x the
                        // election timeout; two more tries cover a slow start, twenty would take minutes.
                        .setExceptionToPolicy(ReconfigurationTimeoutException.class,
                                RetryPolicies.retryUpToMaximumCountWithFixedSleep(2, TimeDuration.valueOf(1, TimeUnit.SECONDS)))
                        .build())
                .build();
        this.transport = transport;
    }

    /** Sets the configuration to exactly {@code members}; returns when it is committed. */
    public void setMembers(java.util.Map<String, String> members) throws IOException {
        RaftClientReply reply;
        try {
            reply = client.admin().setConfiguration(peers(members));
        } catch (IOException e) {
            if (causedBy(e, ReconfigurationTimeoutException.class)) {
                throw new NewMemberUnreachableException("the leader could not reach the new member(s) of " + members
                        + " to catch them up: is each started with --join, reachable at its Raft address"
                        + (transport.isMutualTls() ? ", and holding a certificate from the cluster's --raft-tls-ca?" : "?"), e);
            }
            throw e;
        }
        if (!reply.isSuccess()) {
            throw new IOException("the Raft group refused the configuration " + members + ": "
                    + (reply.getException() == null ? "no reason given" : reply.getException().getMessage()));
        }
    }

    /** A configuration change failed because a new member never answered the leader; nothing changed. */
    public static final class NewMemberUnreachableException extends IOException {
        NewMemberUnreachableException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private static boolean causedBy(Throwable t, Class<? extends Throwable> type) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (type.isInstance(c)) {
                return true;
            }
        }
        return false;
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
