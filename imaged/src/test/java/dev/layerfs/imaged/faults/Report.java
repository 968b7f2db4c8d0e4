package dev.layerfs.imaged.faults;

import dev.layerfs.imaged.faults.Op.Kind;
import dev.layerfs.imaged.faults.Op.Outcome;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The outcome of one fault run: the figures, every violation found (each a sentence naming the
 * operation, node and times), and the table that is printed.
 */
record Report(String title, List<Op> ops, List<Fault> faults, int ackedBlobsChecked, int nodesChecked,
              List<String> lostBlobs, List<String> lostTags, List<String> staleReads, List<String> minorityAcks,
              long writesToMinority, List<String> corruptBlobs, List<String> divergentNodes, List<NodeView> views,
              List<String> unrecoveredNodes) {

    long lost() {
        return lostBlobs.size() + lostTags.size();
    }

    boolean clean() {
        return lost() == 0 && staleReads.isEmpty() && minorityAcks.isEmpty() && corruptBlobs.isEmpty()
                && divergentNodes.isEmpty() && unrecoveredNodes.isEmpty();
    }

    List<String> violations() {
        List<String> all = new ArrayList<>();
        lostBlobs.forEach(s -> all.add("LOST BLOB " + s));
        lostTags.forEach(s -> all.add("LOST TAG UPDATE " + s));
        staleReads.forEach(s -> all.add("STALE READ " + s));
        minorityAcks.forEach(s -> all.add("MINORITY ACK " + s));
        corruptBlobs.forEach(s -> all.add("CORRUPT BLOB " + s));
        divergentNodes.forEach(s -> all.add("DIVERGENT " + s));
        unrecoveredNodes.forEach(s -> all.add("NOT RECOVERED " + s));
        return all;
    }

    /** Time from the heal (restart, resume, links restored) to the end of the first acknowledged write through an affected node. */
    Optional<Long> recovery(Fault f) {
        Set<String> affected = Set.copyOf(f.nodes());
        return ops.stream().filter(op -> op.isWrite() && op.ok() && affected.contains(op.node()) && op.start() >= f.healed())
                .map(op -> op.end() - f.healed()).min(Long::compare);
    }

    /** Time from the fault to the end of the first acknowledged write through an unaffected node that started after it. */
    Optional<Long> failover(Fault f) {
        Set<String> affected = Set.copyOf(f.nodes());
        return ops.stream().filter(op -> op.isWrite() && op.ok() && !affected.contains(op.node()) && op.start() >= f.injected())
                .map(op -> op.end() - f.injected()).min(Long::compare);
    }

    String table() {
        StringBuilder b = new StringBuilder();
        long writes = ops.stream().filter(Op::isWrite).count();
        Map<Kind, Long> byKind = count(ops.stream().map(Op::kind).toList(), Kind.class);
        Map<Outcome, Long> writeOutcomes = count(ops.stream().filter(Op::isWrite).map(Op::outcome).toList(), Outcome.class);
        Map<Outcome, Long> readOutcomes = count(ops.stream().filter(op -> !op.isWrite()).map(Op::outcome).toList(), Outcome.class);
        Map<Fault.Kind, Long> faultKinds = count(faults.stream().map(Fault::kind).toList(), Fault.Kind.class);
        b.append("== ").append(title).append(" ==\n");
        row(b, "operations", ops.size(), String.format("blob pushes %d, tag writes %d, tag reads %d",
                byKind.get(Kind.PUSH_BLOB), byKind.get(Kind.PUT_TAG), byKind.get(Kind.READ_TAG)));
        row(b, "acknowledged", writeOutcomes.get(Outcome.OK), String.format(
                "of %d writes; %d refused/unreached, %d indeterminate; reads %d answered, %d failed",
                writes, writeOutcomes.get(Outcome.FAIL), writeOutcomes.get(Outcome.UNKNOWN),
                readOutcomes.get(Outcome.OK), readOutcomes.get(Outcome.FAIL)));
        row(b, "faults injected", faults.size(), faultKinds.entrySet().stream().filter(e -> e.getValue() > 0)
                .map(e -> e.getKey().name().toLowerCase().replace('_', '-') + " " + e.getValue())
                .collect(Collectors.joining(", ")));
        row(b, "lost", lost(), String.format("blobs %d (%d acknowledged blobs read back from %d nodes), tag updates %d",
                lostBlobs.size(), ackedBlobsChecked, nodesChecked, lostTags.size()));
        row(b, "stale reads", staleReads.size(), "");
        row(b, "minority acks", minorityAcks.size(), "of " + writesToMinority + " writes sent to a cut-off minority");
        row(b, "corrupt blobs", corruptBlobs.size(), "");
        row(b, "divergent nodes", divergentNodes.size(), views.stream()
                .map(v -> v.node() + "=" + v.digest() + "@" + v.appliedIndex()).collect(Collectors.joining(" ")));
        row(b, "unrecovered nodes", unrecoveredNodes.size(), "");
        b.append(String.format("%-3s %-17s %-9s %8s %8s %12s %12s  %s%n", "#", "fault", "nodes", "at", "held",
                "recovered", "failover", "note"));
        int i = 1;
        for (Fault f : faults) {
            b.append(String.format("%-3d %-17s %-9s %8s %8s %12s %12s  %s%n", i++,
                    f.kind().name().toLowerCase().replace('_', '-'), String.join(",", f.nodes()),
                    HistoryChecker.ms(f.injected()), HistoryChecker.ms(f.healed() - f.injected()),
                    recovery(f).map(HistoryChecker::ms).orElse("never"),
                    failover(f).map(HistoryChecker::ms).orElse("never"), f.note()));
        }
        b.append("(recovered: heal → first acknowledged write through the faulted node; "
                + "failover: fault → first acknowledged write through another node)\n");
        return b.toString();
    }

    private static void row(StringBuilder b, String name, long value, String detail) {
        b.append(String.format("%-18s %6d  %s%n", name, value, detail));
    }

    private static <E extends Enum<E>> Map<E, Long> count(List<E> values, Class<E> type) {
        Map<E, Long> m = new EnumMap<>(type);
        for (E e : type.getEnumConstants()) {
            m.put(e, 0L);
        }
        values.forEach(v -> m.merge(v, 1L, Long::sum));
        return m;
    }
}
