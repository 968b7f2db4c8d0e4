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
import java.util.concurrent.Semaphore;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Group commit of metadata writes. Concurrent commands that may share a Raft entry wait in one
 * queue; each of a few committer threads takes what has gathered (up to a count and a byte
 * limit) and writes it as one {@link Command.Batch}: many tag updates then share one log append,
 * one replication round and one flush on each node. A command arriving when nothing is being
 * written goes out at once as itself, on its caller's thread, so a single client waits no longer
 * than without group commit. Each caller's future completes with its own
 * command's outcome, and only after the entry carrying it has committed and been applied; when
 * the write fails (no leader, no majority), every command of that entry fails with it.
 */
final class GroupCommit implements Closeable {

    private static final Logger LOG = LoggerFactory.getLogger(GroupCommit.class);

    /** Commands per entry: enough to absorb hundreds of clients over a few committers. */
    static final int MAX_COMMANDS = 128;
    /** Serialised bytes per entry, well under the 32 MiB gRPC message limit (a manifest may be 4 MiB). */
    static final int MAX_BYTES = 8 << 20;

    /**
     * A command's outcome and the Raft index of the entry that carried it: every caller learns
     * its own write's index (for read-your-writes), also when a committer thread wrote it.
     */
    record Committed(Outcome outcome, long index) {
    }

    private record Pending(Command command, int bytes, CompletableFuture<Committed> outcome) {
    }

    private final Function<Command, Committed> log;
    private final LinkedBlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
    private final List<Thread> committers = new ArrayList<>();
    /** Entries in flight at once, whether written by a committer or directly by a caller. */
    private final Semaphore slots;
    private volatile boolean closed;

    /**
     * {@code log} writes one command and answers its outcome once committed and applied, or
     * throws (a RegistryException UNAVAILABLE when the cluster cannot commit it). {@code parallel}
     * entries may be in flight at once, which keeps the pipeline to the leader full.
     */
    GroupCommit(Function<Command, Committed> log, int parallel, String name) {
        this.log = log;
        this.slots = new Semaphore(parallel);
        for (int i = 0; i < parallel; i++) {
            Thread t = new Thread(this::commitLoop, name + "-group-commit-" + i);
            t.setDaemon(true);
            committers.add(t);
            t.start();
        }
    }

    /** Queues a command; the future completes with its outcome once its entry is applied. */
    CompletableFuture<Committed> submit(Command command) {
        if (!Command.Batch.groupable(command)) {
            throw new IllegalArgumentException(command.getClass().getSimpleName() + " cannot be group-committed");
        }
        CompletableFuture<Committed> outcome = new CompletableFuture<>();
        if (closed) {
            outcome.completeExceptionally(closedError());
            return outcome;
        }
        if (queue.isEmpty() && slots.tryAcquire()) {
            // Nothing is being committed or waiting: write it on the caller's thread, no hand-off.
            try {
                write(List.of(new Pending(command, 0, outcome)));
            } finally {
                slots.release();
            }
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
                slots.acquire(); // waits for the write in flight: what queues meanwhile joins this entry
            } catch (InterruptedException e) {
                entry.forEach(p -> p.outcome().completeExceptionally(closedError()));
                break;
            }
            try {
                int bytes = entry.get(0).bytes();
                for (Pending next; entry.size() < MAX_COMMANDS && (next = queue.peek()) != null
                        && bytes + next.bytes() <= MAX_BYTES; ) {
                    Pending taken = queue.poll(); // another committer may have taken it: poll decides
                    if (taken == null) {
                        break;
                    }
                    entry.add(taken);
                    bytes += taken.bytes();
                }
                write(entry);
            } finally {
                slots.release();
            }
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
            Committed batch = log.apply(new Command.Batch(entry.stream().map(Pending::command).toList()));
            if (!batch.outcome().succeeded()) {
                // Only a batch holding a command that may not share an entry is refused whole; submit rules that out.
                entry.forEach(p -> p.outcome().complete(batch));
                return;
            }
            List<Outcome> outcomes = Command.Batch.outcomes(batch.outcome());
            for (int i = 0; i < entry.size(); i++) {
                entry.get(i).outcome().complete(new Committed(outcomes.get(i), batch.index()));
            }
            LOG.trace("group commit: {} commands in one entry", entry.size());
        } catch (RuntimeException | Error e) {
            // complete() on an already completed future does nothing: each caller hears once
            entry.forEach(p -> p.outcome().completeExceptionally(e));
            if (e instanceof Error) {
                LOG.error("group commit of {} commands failed", entry.size(), e);
            }
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
