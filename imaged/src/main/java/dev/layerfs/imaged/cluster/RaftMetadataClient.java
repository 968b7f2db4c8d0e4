package dev.layerfs.imaged.cluster;

import dev.layerfs.imaged.meta.Command;
import dev.layerfs.imaged.meta.Json;
import dev.layerfs.imaged.meta.MetadataService;
import dev.layerfs.imaged.meta.Outcome;
import dev.layerfs.imaged.meta.Query;
import dev.layerfs.imaged.meta.ReadMode;
import dev.layerfs.imaged.oci.ErrorCode;
import dev.layerfs.imaged.oci.RegistryException;
import java.io.Closeable;
import java.io.IOException;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.util.TimeDuration;

/**
 * The metadata as seen through Raft: commands go to the leader (the Ratis client finds it and
 * follows leader changes), reads are linearizable ReadIndex reads unless a caller explicitly asks
 * for this node's local state. Retries are bounded (about 20 s), after which the caller gets
 * UNAVAILABLE instead of hanging: no majority means no acknowledged write.
 */
public final class RaftMetadataClient implements MetadataService, Closeable {

    private final RaftClient client;
    private final RaftPeerId self;

    public RaftMetadataClient(RaftNode node) {
        RaftProperties p = RaftNode.clientProperties();
        RaftClientConfigKeys.Rpc.setRequestTimeout(p, TimeDuration.valueOf(5, TimeUnit.SECONDS));
        this.self = RaftPeerId.valueOf(node.spec().self());
        this.client = RaftClient.newBuilder()
                .setProperties(p)
                .setRaftGroup(node.group())
                .setRetryPolicy(RetryPolicies.retryUpToMaximumCountWithFixedSleep(80,
                        TimeDuration.valueOf(250, TimeUnit.MILLISECONDS)))
                .build();
    }

    @Override
    public void submit(Command command) {
        apply(command).orThrow();
    }

    @Override
    public Outcome apply(Command command) {
        RaftClientReply reply;
        try {
            reply = client.io().send(message(Json.write(command)));
        } catch (IOException e) {
            throw unavailable("write " + command.getClass().getSimpleName(), e);
        }
        if (!reply.isSuccess()) {
            throw unavailable("write " + command.getClass().getSimpleName(), reply.getException());
        }
        return Json.read(reply.getMessage().getContent().toByteArray(), Outcome.class);
    }

    @Override
    public <T> Optional<T> read(Query<T> query, ReadMode mode) {
        RaftClientReply reply;
        try {
            Message m = message(Json.write(query));
            reply = mode == ReadMode.LOCAL ? client.io().sendStaleRead(m, 0, self) : client.io().sendReadOnly(m);
        } catch (IOException e) {
            throw unavailable("read " + query.getClass().getSimpleName(), e);
        }
        if (!reply.isSuccess()) {
            throw unavailable("read " + query.getClass().getSimpleName(), reply.getException());
        }
        return Optional.ofNullable(Json.read(reply.getMessage().getContent().toByteArray(), query.answerType()));
    }

    @Override
    public void close() throws IOException {
        client.close();
    }

    private static Message message(byte[] json) {
        return Message.valueOf(ByteString.copyFrom(json));
    }

    private static RegistryException unavailable(String what, Exception cause) {
        RegistryException e = new RegistryException(ErrorCode.UNAVAILABLE, ErrorCode.UNAVAILABLE.status(),
                "metadata cluster cannot " + what + " now: " + (cause == null ? "no reply" : cause.getMessage()), null);
        if (cause != null) {
            e.initCause(cause);
        }
        return e;
    }
}
