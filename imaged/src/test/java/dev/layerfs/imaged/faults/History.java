package dev.layerfs.imaged.faults;

import com.fasterxml.jackson.databind.SerializationFeature;
import dev.layerfs.imaged.meta.Json;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/** Every operation and fault of one run, recorded concurrently, on one clock. */
final class History {

    private final long origin = System.nanoTime();
    private final AtomicInteger ids = new AtomicInteger();
    private final ConcurrentLinkedQueue<Op> ops = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<Fault> faults = new ConcurrentLinkedQueue<>();

    long now() {
        return System.nanoTime() - origin;
    }

    int nextId() {
        return ids.incrementAndGet();
    }

    void record(Op op) {
        ops.add(op);
    }

    void record(Fault fault) {
        faults.add(fault);
    }

    List<Op> ops() {
        List<Op> all = new ArrayList<>(ops);
        all.sort(Comparator.comparingLong(Op::start).thenComparingInt(Op::id));
        return all;
    }

    List<Fault> faults() {
        List<Fault> all = new ArrayList<>(faults);
        all.sort(Comparator.comparingLong(Fault::injected));
        return all;
    }

    /** Writes the history as JSON lines (faults first, then operations by start time). */
    void dump(Path file) throws IOException {
        Files.createDirectories(file.getParent());
        var writer = Json.MAPPER.writer().without(SerializationFeature.INDENT_OUTPUT);
        try (Writer out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            for (Fault f : faults()) {
                out.write(writer.writeValueAsString(f));
                out.write('\n');
            }
            for (Op op : ops()) {
                out.write(writer.writeValueAsString(op));
                out.write('\n');
            }
        }
    }
}
