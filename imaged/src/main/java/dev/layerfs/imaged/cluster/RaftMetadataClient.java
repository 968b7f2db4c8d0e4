package dev.layerfs.imaged.cluster;

import dev.layerfs.imaged.meta.Command;
import dev.layerfs.imaged.meta.Json;
import dev.layerfs.imaged.meta.MetadataService;
import dev.layerfs.imaged.meta.Outcome;
import dev.layerfs.imaged.meta.Query;
import dev.layerfs.imaged.meta.ReadMode;
import dev.layerfs.imaged.meta.WriteIndex;
import dev.layerfs.imaged.oci.ErrorCode;
import dev.layerfs.imaged.oci.RegistryException;
import java.io.Closeable;
import java.io.IOException;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
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
 * for this node's local state. Retries are bounded (a retry policy, and an overall deadline per
 * call), after which the caller gets UNAVAILABLE instead of hanging: no majority means no
 * acknowledged write.
 */
public final class RaftMetadataClient implements MetadataService, Closeable {

    /** No metadata call waits longer than this, whatever the retries. */
    static final long DEADLINE_SECONDS = 30;

    private final RaftClient client;
    private final ExecutorService calls = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "metadata-call");
        t.setDaemon(true);
        return t;
    });
    private final RaftPeerId self;
    /**
     * Entries of grouped writes this node has in flight at once (system property
     * {@code imaged.groupCommit.pipeline}). One, the default, is classic group commit: whatever
     * arrives while an entry is being committed goes into the next one. Measured on 3 nodes with
     * 256 clients, 1 gave several times the updates per second of 4 (bigger entries, fewer of them).
     */
    static final int GROUP_COMMIT_PIPELINE = Integer.getInteger("imaged.groupCommit.pipeline", 1);
    private final GroupCommit group = new GroupCommit(this::writeEntry, Math.max(1, GROUP_COMMIT_PIPELINE), "metadata");

    public RaftMetadataClient(RaftNode node) {
        RaftProperties p = RaftNode.clientProperties();
        RaftClientConfigKeys.Rpc.setRequestTimeout(p, TimeDuration.valueOf(5, TimeUnit.SECONDS));
        this.self = RaftPeerId.valueOf(node.spec().self());
        this.client = RaftClient.newBuilder()
                .setProperties(p)
                .setParameters(node.transport().parameters())
                .setRaftGroup(node.group())
                .setRetryPolicy(RetryPolicies.retryUpToMaximumCountWithFixedSleep(80,
                        TimeDuration.valueOf(250, TimeUnit.MILLISECONDS)))
                .build();
    }

    @Override
    public void submit(Command command) {
        apply(command).orThrow();
    }

    /**
     * Writes a command. Tag updates and the other commands that may share a log entry go through
     * group commit (concurrent writers share entries); the others, lease commands among them, are
     * written one per entry. Either way the outcome is returned only once the entry has committed.
     */
    @Override
    public Outcome apply(Command command) {
        Future<GroupCommit.Committed> outcome = Command.Batch.groupable(command)
                ? group.submit(command) : CompletableFuture.completedFuture(writeEntry(command));
        String what = "write " + command.getClass().getSimpleName();
        try {
            GroupCommit.Committed committed = outcome.get(DEADLINE_SECONDS, TimeUnit.SECONDS);
            WriteIndex.record(committed.index()); // on the caller's thread: its HTTP response names it
            return committed.outcome();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw unavailable(what, e);
        } catch (TimeoutException e) {
            throw unavailable(what, new IOException("not committed within " + DEADLINE_SECONDS + " s"));
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RegistryException r) {
                throw r;
            }
            throw unavailable(what, e.getCause() instanceof Exception c ? c : e);
        }
    }

    /** One command in one log entry: its outcome and the entry's index, once committed and applied. */
    private GroupCommit.Committed writeEntry(Command command) {
        String what = "write " + command.getClass().getSimpleName();
        Message m = message(Json.write(command));
        RaftClientReply reply = call(() -> client.io().send(m), what);
        return new GroupCommit.Committed(Json.read(reply.getMessage().getContent().toByteArray(), Outcome.class),
                reply.getLogIndex());
    }

    @Override
    public <T> Optional<T> read(Query<T> query, ReadMode mode) {
        Message m = message(Json.write(query));
        String what = "read " + query.getClass().getSimpleName();
        RaftClientReply reply = call(mode == ReadMode.LOCAL ? () -> client.io().sendStaleRead(m, 0, self)
                : () -> client.io().sendReadOnly(m), what);
        return Optional.ofNullable(Json.read(reply.getMessage().getContent().toByteArray(), query.answerType()));
    }

    @Override
    public void close() throws IOException {
        group.close();
        calls.shutdownNow();
        client.close();
    }

    /**
     * Runs one blocking Ratis call (which retries by the policy) under an overall deadline. On
     * timeout the call is interrupted; a write may still commit later, but it was never acknowledged.
     */
    private RaftClientReply call(Callable<RaftClientReply> blocking, String what) {
        Future<RaftClientReply> call = calls.submit(blocking);
        RaftClientReply reply;
        try {
            reply = call.get(DEADLINE_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            call.cancel(true);
            throw unavailable(what, e);
        } catch (TimeoutException e) {
            call.cancel(true);
            throw unavailable(what, new IOException("no answer within " + DEADLINE_SECONDS + " s"));
        } catch (ExecutionException e) {
            throw unavailable(what, e.getCause() instanceof Exception c ? c : e);
        }
        if (!reply.isSuccess()) {
            throw unavailable(what, reply.getException());
        }
        return reply;
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
