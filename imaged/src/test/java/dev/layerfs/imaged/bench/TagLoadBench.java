package dev.layerfs.imaged.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Metadata benchmarks against imaged nodes that are already running (started by
 * {@code examples/bench/registry-metadata.sh}). Not part of the default test run: the class name
 * does not match surefire's patterns and each method needs {@code -Dbench=...}:
 * <pre>
 * mvn -pl imaged test -Dtest=TagLoadBench -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Dbench=tags -Dbench.nodes=http://127.0.0.1:15301,http://127.0.0.1:15302,http://127.0.0.1:15303
 * </pre>
 * {@code bench=tags}: tag updates, then linearizable manifest and tag-list reads, for each of
 * {@code bench.clients} (default 1,16,256) for {@code bench.seconds} (default 10) after a 2 s
 * warm-up (only the operations in {@code bench.ops}, default put,get,list); table appended to {@code bench.out} if given. {@code bench=fill}: {@code bench.tags}
 * tags over {@code bench.blobs} blobs in repository {@code catchup}, the last tag's digest
 * written to {@code bench.out}.
 */
class TagLoadBench {

    private static List<URI> nodes() {
        String list = System.getProperty("bench.nodes", "http://127.0.0.1:15301");
        return Arrays.stream(list.split(",")).map(String::trim).map(URI::create).toList();
    }

    @Test
    @EnabledIfSystemProperty(named = "bench", matches = "tags")
    void tagUpdatesAndLinearizableReads() throws Exception {
        TagLoad load = new TagLoad(nodes());
        int[] clients = Arrays.stream(System.getProperty("bench.clients", "1,16,256").split(","))
                .mapToInt(s -> Integer.parseInt(s.trim())).toArray();
        Duration window = Duration.ofSeconds(Long.getLong("bench.seconds", 10));
        Duration warmup = Duration.ofSeconds(2);
        String run = Long.toString(System.currentTimeMillis(), 36);
        TagLoad.Image writeImage = load.prepare("bench-put-" + run);
        TagLoad.Image readImage = load.prepare("bench-get-" + run);
        load.populateReads("bench-get-" + run, readImage);

        List<TagLoad.Result> results = new ArrayList<>();
        for (int c : clients) {
            for (String op : System.getProperty("bench.ops", "put,get,list").split(",")) {
                String repo = op.equals("put") ? "bench-put-" + run : "bench-get-" + run;
                TagLoad.Result r = load.run(op, repo, op.equals("put") ? writeImage : readImage, c, warmup, window);
                System.out.println(r.markdownRow() + (r.errors() > 0 ? "  first error: " + r.firstError() : ""));
                results.add(r);
            }
        }
        StringBuilder table = new StringBuilder("| op | clients | ops/s | p50 ms | p99 ms | errors |\n|---|---:|---:|---:|---:|---:|\n");
        results.forEach(r -> table.append(r.markdownRow()).append('\n'));
        System.out.print(table);
        String out = System.getProperty("bench.out");
        if (out != null) {
            Files.writeString(Path.of(out), table);
        }
        for (TagLoad.Result r : results) {
            assertEquals(0, r.errors(), () -> r.op() + " with " + r.clients() + " clients failed: " + r.firstError());
            assertTrue(r.ops() > 0, () -> r.op() + " with " + r.clients() + " clients completed nothing");
        }
        // a write acknowledged by one node is what every node reads (linearizable reads)
        String digest = load.putManifest(load.node(0), "bench-put-" + run, "final",
                TagLoad.manifest(writeImage, "final-" + run));
        for (int n = 0; n < nodes().size(); n++) {
            assertEquals(digest, load.getManifestDigest(load.node(n), "bench-put-" + run, "final", false),
                    "node " + load.node(n) + " reads the tag written through node " + load.node(0));
        }
    }

    @Test
    @EnabledIfSystemProperty(named = "bench", matches = "fill")
    void fillForCatchUp() throws IOException, InterruptedException {
        TagLoad load = new TagLoad(nodes());
        TagLoad.Image image = load.prepare("catchup");
        int tags = Integer.getInteger("bench.tags", 10_000);
        int blobs = Integer.getInteger("bench.blobs", 1_000);
        long t0 = System.nanoTime();
        String last = load.fill("catchup", image, tags, blobs, Integer.getInteger("bench.threads", 16));
        double s = (System.nanoTime() - t0) / 1e9;
        System.out.printf("filled %d tags over %d blobs in %.1f s (%.0f tags/s); t%d -> %s%n", tags, blobs, s, tags / s, tags - 1, last);
        assertEquals(last, load.getManifestDigest(load.node(0), "catchup", "t" + (tags - 1), false));
        String out = System.getProperty("bench.out");
        if (out != null) {
            Files.writeString(Path.of(out), last + "\n");
        }
    }
}
