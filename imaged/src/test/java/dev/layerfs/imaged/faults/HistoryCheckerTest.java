package dev.layerfs.imaged.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.layerfs.imaged.faults.Op.Kind;
import dev.layerfs.imaged.faults.Op.Outcome;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The history checks on hand-written histories: each violation is caught, each legal history passes. */
class HistoryCheckerTest {

    private final List<Op> ops = new ArrayList<>();
    private int ids;

    private Op write(String tag, String value, long start, long end, Outcome outcome) {
        Op op = new Op(++ids, 0, "n1", Kind.PUT_TAG, tag, value, ids, start, end, outcome, "");
        ops.add(op);
        return op;
    }

    private Op read(String tag, String value, long start, long end) {
        Op op = new Op(++ids, 1, "n2", Kind.READ_TAG, tag, value, -1, start, end, Outcome.OK, "");
        ops.add(op);
        return op;
    }

    @Test
    void readOfAnOverwrittenValueAfterTheOverwriteWasAcknowledgedIsStale() {
        write("t", "a", 0, 10, Outcome.OK);
        write("t", "b", 20, 30, Outcome.OK);
        read("t", "a", 40, 50);
        List<String> stale = new HistoryChecker(ops).staleReads();
        assertEquals(1, stale.size(), stale.toString());
        assertTrue(stale.get(0).contains("overwrote"), stale.get(0));
    }

    @Test
    void readConcurrentWithTheOverwriteMaySeeEitherValue() {
        write("t", "a", 0, 10, Outcome.OK);
        write("t", "b", 20, 30, Outcome.OK);
        read("t", "a", 25, 50);
        read("t", "b", 25, 50);
        assertEquals(List.of(), new HistoryChecker(ops).staleReads());
    }

    @Test
    void anIndeterminateWriteMayTakeEffectLate() {
        write("t", "a", 0, 10, Outcome.UNKNOWN);
        write("t", "b", 20, 30, Outcome.OK);
        read("t", "a", 40, 50);
        HistoryChecker checker = new HistoryChecker(ops);
        assertEquals(List.of(), checker.staleReads());
        assertTrue(checker.checkFinal("t", "a").isEmpty());
    }

    @Test
    void missingTagAfterAnAcknowledgedWriteIsStaleAndLost() {
        write("t", "a", 0, 10, Outcome.OK);
        read("t", "", 20, 30);
        HistoryChecker checker = new HistoryChecker(ops);
        assertEquals(1, checker.staleReads().size());
        assertTrue(checker.checkFinal("t", "").isPresent());
    }

    @Test
    void refusedUnknownAndFutureValuesAreCaught() {
        write("t", "refused", 0, 10, Outcome.FAIL);
        write("t", "later", 100, 110, Outcome.OK);
        read("t", "refused", 20, 30);
        read("t", "nobody-wrote-this", 20, 30);
        read("t", "later", 40, 50);
        assertEquals(3, new HistoryChecker(ops).staleReads().size());
    }

    @Test
    void finalValueMustNotBeOlderThanTheLastAcknowledgedWrite() {
        write("t", "a", 0, 10, Outcome.OK);
        write("t", "b", 20, 30, Outcome.OK);
        HistoryChecker checker = new HistoryChecker(ops);
        assertTrue(checker.checkFinal("t", "a").isPresent());
        assertTrue(checker.checkFinal("t", "b").isEmpty());
    }

    @Test
    void aWriteAcknowledgedByTheMinorityDuringTheCutIsCaught() {
        ops.add(new Op(++ids, 0, "n1", Kind.PUSH_BLOB, "sha256:x", "sha256:x", -1, 120, 150, Outcome.OK, ""));
        ops.add(new Op(++ids, 0, "n2", Kind.PUSH_BLOB, "sha256:y", "sha256:y", -1, 120, 150, Outcome.OK, ""));
        ops.add(new Op(++ids, 0, "n1", Kind.PUSH_BLOB, "sha256:z", "sha256:z", -1, 120, 250, Outcome.OK, ""));
        List<Fault> faults = List.of(new Fault(1, Fault.Kind.PARTITION_LEADER, List.of("n1"), 100, 200, ""));
        HistoryChecker checker = new HistoryChecker(ops);
        List<String> acks = checker.minorityAcks(faults);
        assertEquals(1, acks.size(), acks.toString());
        assertTrue(acks.get(0).contains("sha256:x"), acks.get(0));
        assertEquals(2, checker.writesToMinority(faults));
    }
}
