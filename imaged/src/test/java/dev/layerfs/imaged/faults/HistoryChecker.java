package dev.layerfs.imaged.faults;

import dev.layerfs.imaged.faults.Op.Kind;
import dev.layerfs.imaged.faults.Op.Outcome;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The checks that need only the recorded history (plus the final value of each tag): tag reads
 * are linearizable, tag updates are not lost, and a partitioned minority acknowledged no write.
 *
 * <p>A tag is a register. A write is known to precede another when it was acknowledged before the
 * other started. A read (or the final state) that starts after an acknowledged write W' ended may
 * return W' or any write that could have taken effect after W': one that was not known to be
 * finished before W' started (a concurrent or an indeterminate write). It is stale when it
 * returns a write W acknowledged before W' started, or nothing at all. Values are unique (the
 * manifest carries the write's sequence number), so every value names exactly one write.
 */
final class HistoryChecker {

    private final List<Op> ops;
    private final Map<String, Op> writesByValue = new HashMap<>();
    private final Map<String, List<Op>> ackedByTag = new HashMap<>();

    HistoryChecker(List<Op> ops) {
        this.ops = ops;
        for (Op op : ops) {
            if (op.kind() == Kind.PUT_TAG) {
                writesByValue.put(op.value(), op);
                if (op.ok()) {
                    ackedByTag.computeIfAbsent(op.key(), t -> new ArrayList<>()).add(op);
                }
            }
        }
        ackedByTag.values().forEach(l -> l.sort(Comparator.comparingLong(Op::end)));
    }

    /** Every read that returned a value it could not have under linearizability, explained. */
    List<String> staleReads() {
        List<String> problems = new ArrayList<>();
        for (Op read : ops) {
            if (read.kind() == Kind.READ_TAG && read.ok()) {
                explain(read.key(), read.value(), read.start(), read.end(), "read #" + read.id() + " via " + read.node())
                        .ifPresent(problems::add);
            }
        }
        return problems;
    }

    /** Checks a tag's final value (read after healing, so "later than everything"). */
    Optional<String> checkFinal(String tag, String value) {
        return explain(tag, value, Long.MAX_VALUE, Long.MAX_VALUE, "final value");
    }

    private Optional<String> explain(String tag, String value, long start, long end, String what) {
        List<Op> acked = ackedByTag.getOrDefault(tag, List.of());
        Op latestBefore = null; // the acknowledged write that ended before `start` and started last
        for (Op w : acked) {
            if (w.end() < start && (latestBefore == null || w.start() > latestBefore.start())) {
                latestBefore = w;
            }
        }
        if (value.isEmpty()) {
            return latestBefore == null ? Optional.empty()
                    : Optional.of(what + " of " + tag + " found no tag, though write #" + latestBefore.id()
                            + " (seq " + latestBefore.seq() + ") was acknowledged before it began");
        }
        Op w = writesByValue.get(value);
        if (w == null) {
            return Optional.of(what + " of " + tag + " returned " + value + ", which no client wrote");
        }
        if (!w.key().equals(tag)) {
            return Optional.of(what + " of " + tag + " returned the value of write #" + w.id() + " to tag " + w.key());
        }
        if (w.outcome() == Outcome.FAIL) {
            return Optional.of(what + " of " + tag + " returned write #" + w.id() + ", which was refused: " + w.error());
        }
        if (w.start() > end) {
            return Optional.of(what + " of " + tag + " returned write #" + w.id() + ", which started after the read ended");
        }
        if (w.ok() && latestBefore != null && latestBefore != w && latestBefore.start() > w.end()) {
            return Optional.of(what + " of " + tag + " returned write #" + w.id() + " (seq " + w.seq()
                    + ", acknowledged at " + ms(w.end()) + ") although write #" + latestBefore.id() + " (seq "
                    + latestBefore.seq() + ", " + ms(latestBefore.start()) + "-" + ms(latestBefore.end())
                    + ") overwrote it and was acknowledged before this began");
        }
        return Optional.empty();
    }

    /** Writes acknowledged by a node while it was cut off in a minority: each one is a violation. */
    List<String> minorityAcks(List<Fault> faults) {
        List<String> problems = new ArrayList<>();
        for (Fault f : faults) {
            if (f.kind() != Fault.Kind.PARTITION_LEADER) {
                continue;
            }
            Set<String> minority = Set.copyOf(f.nodes());
            for (Op op : ops) {
                if (op.isWrite() && op.ok() && minority.contains(op.node()) && op.start() >= f.injected() && op.end() <= f.healed()) {
                    problems.add("op #" + op.id() + " " + op.kind() + " " + op.key() + " acknowledged by " + op.node()
                            + " at " + ms(op.end()) + " while it was in minority " + f.nodes() + " (fault #" + f.id() + ")");
                }
            }
        }
        return problems;
    }

    /** How many writes were sent to a minority side while it was cut off (what check (d) had to judge). */
    long writesToMinority(List<Fault> faults) {
        long n = 0;
        for (Fault f : faults) {
            if (f.kind() == Fault.Kind.PARTITION_LEADER) {
                Set<String> minority = Set.copyOf(f.nodes());
                n += ops.stream().filter(op -> op.isWrite() && minority.contains(op.node())
                        && op.start() >= f.injected() && op.start() < f.healed()).count();
            }
        }
        return n;
    }

    static String ms(long nanos) {
        return nanos == Long.MAX_VALUE ? "end" : String.format("%.3fs", nanos / 1e9);
    }
}
