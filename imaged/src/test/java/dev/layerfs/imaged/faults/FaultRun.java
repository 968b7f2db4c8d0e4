package dev.layerfs.imaged.faults;

import dev.layerfs.imaged.faults.Op.Kind;
import dev.layerfs.imaged.oci.Digest;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * One fault-injection run, start to verdict: start the cluster, run the workload while the
 * nemesis injects faults, heal, let it settle (a probe write through every node, then wait for the
 * nodes' local views to agree), read everything back, check the history, and write the history
 * (JSON lines) and the table next to the node logs.
 */
final class FaultRun {

    /** Raft settings that make snapshots (and snapshot installs on lagging nodes) happen during a short run. */
    static final List<String> NODE_ARGS = List.of("--snapshot-threshold", "200", "--repair-period-ms", "2000");

    record Settings(int nodes, Duration faults, long seed, int clients, Duration requestTimeout) {
    }

    private final Settings settings;
    private final Path dir;
    /** Nodes that took no write after the heal: reported once, not read back blob by blob. */
    private final Set<String> unrecoveredIds = ConcurrentHashMap.newKeySet();
    private final HttpClient http = HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(2))
            .version(HttpClient.Version.HTTP_1_1)
            .build();

    FaultRun(Settings settings, Path dir) {
        this.settings = settings;
        this.dir = dir;
    }

    Report run() throws Exception {
        History history = null;
        try (FaultCluster cluster = new FaultCluster(dir, settings.nodes(), settings.seed(), NODE_ARGS)) {
            cluster.start(Duration.ofSeconds(120));
            history = new History(); // time 0 is when the cluster is up and the clients start
            Workload workload = new Workload(cluster, history, settings.seed(), settings.clients(), settings.requestTimeout());
            Nemesis nemesis = new Nemesis(cluster, history, settings.seed());
            workload.start();
            try {
                nemesis.run(settings.faults());
            } finally {
                workload.stop();
                nemesis.healEverything();
            }
            List<String> unrecovered = probeEveryNode(cluster, history);
            List<NodeView> views = awaitConvergence(cluster, Duration.ofSeconds(120));
            Report report = check(cluster, history, views, unrecovered);
            history.dump(dir.resolve("history.jsonl"));
            Files.writeString(dir.resolve("report.txt"), report.table() + String.join("\n", report.violations()) + "\n");
            return report;
        } catch (Exception | AssertionError e) {
            if (history != null) {
                history.dump(dir.resolve("history.jsonl"));
            }
            throw e;
        }
    }

    /** After healing, every node must take a write again; a node that does not within 90 s never recovered. */
    private List<String> probeEveryNode(FaultCluster cluster, History history) {
        List<String> unrecovered = new ArrayList<>();
        RegistryOps probe = new RegistryOps(history, -1, settings.requestTimeout());
        Random random = new Random(settings.seed());
        for (NodeProcess node : cluster.nodes()) {
            long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            boolean ok = false;
            while (!ok && System.nanoTime() < deadline) {
                byte[] blob = new byte[1024];
                random.nextBytes(blob);
                ok = probe.pushBlob(node.endpoint(), blob).ok();
                if (!ok) {
                    sleep(500);
                }
            }
            if (!ok) {
                unrecoveredIds.add(node.id());
                unrecovered.add(node.id() + " acknowledged no write within 90 s after the last heal (log, with a thread dump: "
                        + node.log() + ")" + dumpThreads(node));
            }
        }
        return unrecovered;
    }

    /** A hung node's threads in its log: the stacks say which lock or call it waits on. */
    private static String dumpThreads(NodeProcess node) {
        try {
            node.dumpThreads();
            return "";
        } catch (IOException | RuntimeException e) {
            return "; no thread dump: " + e.getMessage();
        }
    }

    /** Polls every node's local view until all are equal; returns the last views read. */
    private static List<NodeView> awaitConvergence(FaultCluster cluster, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<NodeView> views = List.of();
        while (System.nanoTime() < deadline) {
            views = cluster.nodes().stream().map(n -> NodeView.of(n.endpoint(), RegistryOps.REPO)
                    .orElse(new NodeView(n.id(), -1, "unreachable", new java.util.TreeMap<>()))).toList();
            if (views.stream().map(NodeView::digest).distinct().count() == 1 && !views.get(0).counts().equals("unreachable")) {
                return views;
            }
            sleep(1000);
        }
        return views;
    }

    private Report check(FaultCluster cluster, History history, List<NodeView> views, List<String> unrecovered)
            throws InterruptedException, ExecutionException {
        List<Op> ops = history.ops();
        HistoryChecker checker = new HistoryChecker(ops);

        Set<String> acked = new LinkedHashSet<>();
        Set<String> attempted = new TreeSet<>();
        for (Op op : ops) {
            if (op.kind() == Kind.PUSH_BLOB) {
                attempted.add(op.key());
                if (op.ok()) {
                    acked.add(op.key());
                }
            }
        }
        List<String> lostBlobs = Collections.synchronizedList(new ArrayList<>());
        List<String> corrupt = Collections.synchronizedList(new ArrayList<>());
        // One reader per node: thousands of blobs are read back from every node.
        ExecutorService readers = Executors.newFixedThreadPool(cluster.size());
        try {
            List<Future<?>> done = new ArrayList<>();
            for (NodeProcess node : cluster.nodes()) {
                if (unrecoveredIds.contains(node.id())) {
                    continue; // reported as not recovered; reading thousands of blobs from it would only time out
                }
                done.add(readers.submit(() -> {
                    for (String digest : acked) {
                        BlobRead read = readBlob(node, digest);
                        if (read.status() != 200) {
                            lostBlobs.add(digest + " acknowledged (op #" + firstAck(ops, digest) + ") but " + node.id()
                                    + " answers " + read.describe());
                        } else if (!read.matches(digest)) {
                            corrupt.add(digest + " from " + node.id() + " has digest " + read.actual());
                        }
                    }
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            readers.shutdownNow();
        }
        List<NodeProcess> recovered = cluster.nodes().stream().filter(n -> !unrecoveredIds.contains(n.id())).toList();
        NodeProcess first = recovered.isEmpty() ? cluster.node(0) : recovered.get(0);
        for (String digest : attempted) {
            if (!acked.contains(digest)) {
                BlobRead read = readBlob(first, digest);
                if (read.status() == 200 && !read.matches(digest)) {
                    corrupt.add(digest + " (indeterminate push) from " + first.id() + " has digest " + read.actual());
                }
            }
        }

        List<String> lostTags = new ArrayList<>();
        List<String> divergent = new ArrayList<>();
        for (String tag : Workload.TAGS) {
            Map<String, String> finals = new HashMap<>();
            for (NodeProcess node : recovered) {
                finals.put(node.id(), readTag(node, tag));
            }
            if (finals.values().stream().distinct().count() > 1) {
                divergent.add("linearizable reads of tag " + tag + " disagree after healing: " + finals);
            }
            if (finals.containsKey(first.id())) { // none when no node recovered: reported as such
                checker.checkFinal(tag, finals.get(first.id())).ifPresent(lostTags::add);
            }
        }
        if (views.stream().map(NodeView::digest).distinct().count() > 1) {
            Map<String, Long> votes = new HashMap<>();
            views.forEach(v -> votes.merge(v.digest(), 1L, Long::sum));
            String majority = votes.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
            for (NodeView v : views) {
                if (!v.digest().equals(majority)) {
                    divergent.add(v.node() + " local view " + v + " differs from the majority's after 120 s of quiet");
                }
            }
        }
        String title = String.format("imaged faults: %d nodes, seed %d, %d s of faults, %d clients",
                settings.nodes(), settings.seed(), settings.faults().toSeconds(), settings.clients());
        return new Report(title, ops, history.faults(), acked.size(), cluster.size(), lostBlobs, lostTags,
                checker.staleReads(), checker.minorityAcks(history.faults()), checker.writesToMinority(history.faults()),
                corrupt, divergent, views, unrecovered);
    }

    private static int firstAck(List<Op> ops, String digest) {
        return ops.stream().filter(op -> op.kind() == Kind.PUSH_BLOB && op.ok() && op.key().equals(digest))
                .mapToInt(Op::id).min().orElse(-1);
    }

    record BlobRead(int status, String actual, String error) {
        boolean matches(String digest) {
            return digest.equals(actual);
        }

        String describe() {
            return status + (error.isEmpty() ? "" : " " + error);
        }
    }

    /** GET of a blob through the OCI API; transient failures (5xx, I/O) are retried a few times. */
    private BlobRead readBlob(NodeProcess node, String digest) {
        BlobRead last = null;
        for (int attempt = 0; attempt < 4; attempt++) {
            try {
                HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(
                        URI.create("http://" + node.httpAddress() + "/v2/" + RegistryOps.REPO + "/blobs/" + digest))
                        .timeout(Duration.ofSeconds(20)).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
                last = r.statusCode() == 200 ? new BlobRead(200, Digest.of(r.body()).toString(), "")
                        : new BlobRead(r.statusCode(), "", new String(r.body(), StandardCharsets.UTF_8));
                if (r.statusCode() < 500) {
                    return last;
                }
            } catch (IOException e) {
                last = new BlobRead(-1, "", e.toString());
            } catch (InterruptedException e) {
                throw interrupted(e, "reading back blob " + digest + " from " + node.id());
            }
            sleep(1000);
        }
        return last;
    }

    /** A linearizable read of a tag after healing: the manifest digest, "" when absent, retried on failure. */
    private String readTag(NodeProcess node, String tag) {
        for (int attempt = 0; attempt < 10; attempt++) {
            try {
                HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(
                        URI.create("http://" + node.httpAddress() + "/v2/" + RegistryOps.REPO + "/manifests/" + tag))
                        .timeout(Duration.ofSeconds(20)).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
                if (r.statusCode() == 200) {
                    return Digest.of(r.body()).toString();
                }
                if (r.statusCode() == 404) {
                    return "";
                }
            } catch (IOException e) {
                // retried below
            } catch (InterruptedException e) {
                throw interrupted(e, "reading tag " + tag + " from " + node.id());
            }
            sleep(1000);
        }
        return "unreadable";
    }

    /** An interrupted check is aborted (the test timed out), never counted as a lost write. */
    private static IllegalStateException interrupted(InterruptedException e, String what) {
        Thread.currentThread().interrupt();
        return new IllegalStateException("interrupted while " + what + "; the check was abandoned", e);
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            throw interrupted(e, "waiting");
        }
    }

    static Optional<String> property(String name) {
        return Optional.ofNullable(System.getProperty(name)).filter(s -> !s.isBlank());
    }
}
