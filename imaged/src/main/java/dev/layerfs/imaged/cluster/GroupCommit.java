package dev.layerfs.imaged.cluster;

import dev.layerfs.imaged.meta.Command;
import dev.layerfs.imaged.meta.Json;
import dev.layerfs.imaged.meta.Outcome;
import dev.layerfs.imaged.oci.ErrorCode;
import dev.layerfs.imaged.oci.RegistryException;
import java.io.Closeable;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Group commit of metadata writes. Concurrent commands that may share a Raft entry wait in one
 * queue; each of a few committer threads takes what has gathered (up to a count and a byte
 * limit) and writes it as one {@link Command.Batch}: many tag updates then share one log append,
 * one replication round and one flush on each node. A lone command is written as itself, so a
 * single client waits no longer than before. Each caller's future completes with its own
 * command's outcome, and only after the entry carrying it has committed and been applied; when
 * the write fails (no leader, no majority), every command of that entry fails with it.
 */
final class GroupCommit implements Closeable {

    private static final Logger LOG = LoggerFactory.getLogger(GroupCommit.class);

    /** Commands per entry: enough to absorb hundreds of clients over a few committers. */
    static final int MAX_COMMANDS = 128;
    /** Serialised bytes per entry, well under the 32 MiB gRPC message limit (a manifest may be 4 MiB). */
    static final int MAX_BYTES = 8 << 20;

    private record Pending(Command command, int bytes, CompletableFuture<Outcome> outcome) {
    }

    private final Function<Command, Outcome> log;
    private final LinkedBlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
    private final List<Thread> committers = new ArrayList<>();
    private volatile boolean closed;

    /**
     * {@code log} writes one command and answers its outcome once committed and applied, or
     * throws (a RegistryException UNAVAILABLE when the cluster cannot commit it). {@code parallel}
     * entries may be in flight at once, which keeps the pipeline to the leader full.
     */
    GroupCommit(Function<Command, Outcome> log, int parallel, String name) {
        this.log = log;
        for (int i = 0; i < parallel; i++) {
            Thread t = new Thread(this::commitLoop, name + "-group-commit-" + i);
            t.setDaemon(true);
            committers.add(t);
            t.start();
        }
    }

    /** Queues a command; the future completes with its outcome once its entry is applied. */
    CompletableFuture<Outcome> submit(Command command) {
        if (!Command.Batch.groupable(command)) {
            throw new IllegalArgumentException(command.getClass().getSimpleName() + " cannot be group-committed");
        }
        CompletableFuture<Outcome> outcome = new CompletableFuture<>();
        if (closed) {
            outcome.completeExceptionally(closedError());
            return outcome;
        }
        queue.add(new Pending(command, Json.write(command).length, outcome));
        return outcome;
    }

    private void commitLoop() {
        List<Pending> entry = new ArrayList<>();
        while (!closed) {
            try {
                entry.add(queue.take());
            } catch (InterruptedException e) {
                break;
            }
            int bytes = entry.get(0).bytes();
            for (Pending next; entry.size() < MAX_COMMANDS && (next = queue.peek()) != null
                    && bytes + next.bytes() <= MAX_BYTES; ) {
                // Another committer may take it between peek and poll: poll decides.
                Pending taken = queue.poll();
                if (taken == null) {
                    break;
                }
                entry.add(taken);
                bytes += taken.bytes();
            }
            write(entry);
            entry.clear();
        }
        for (Pending left; (left = queue.poll()) != null; ) {
            left.outcome().completeExceptionally(closedError());
        }
    }

    private void write(List<Pending> entry) {
        try {
            if (entry.size() == 1) {
                entry.get(0).outcome().complete(log.apply(entry.get(0).command()));
                return;
            }
            Outcome batch = log.apply(new Command.Batch(entry.stream().map(Pending::command).toList()));
            if (!batch.succeeded()) {
                // Only a batch holding a command that may not share an entry is refused whole; submit rules that out.
                entry.forEach(p -> p.outcome().complete(batch));
                return;
            }
            List<Outcome> outcomes = Command.Batch.outcomes(batch);
            for (int i = 0; i < entry.size(); i++) {
                entry.get(i).outcome().complete(outcomes.get(i));
            }
            LOG.trace("group commit: {} commands in one entry", entry.size());
        } catch (RuntimeException e) {
            entry.forEach(p -> p.outcome().completeExceptionally(e));
        }
    }

    private static RegistryException closedError() {
        return new RegistryException(ErrorCode.UNAVAILABLE, ErrorCode.UNAVAILABLE.status(),
                "metadata client is closing: the write was not sent", null);
    }

    @Override
    public void close() {
        closed = true;
        committers.forEach(Thread::interrupt);
    }
}
