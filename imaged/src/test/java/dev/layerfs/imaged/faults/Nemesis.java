package dev.layerfs.imaged.faults;

import dev.layerfs.imaged.faults.Fault.Kind;
import dev.layerfs.imaged.oci.Digest;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Injects faults on a seeded schedule: rounds of (quiet, inject, hold, heal), the kinds taken in
 * shuffled cycles so a short run still sees every kind. Only a minority is ever faulty at once:
 * before each fault the previous victims must answer HTTP again. The leader is the node whose
 * {@code /internal/status} says {@code "leader": true}.
 */
final class Nemesis {

    private final FaultCluster cluster;
    private final History history;
    private final Random random;
    private final List<Kind> cycle = new ArrayList<>();
    private final List<NodeProcess> killed = new ArrayList<>();
    private final List<NodeProcess> paused = new ArrayList<>();
    private int partitions;
    private long partitionWrites;

    /** The tag the minority probe writes to; not one of the workload's tags. */
    static final String MINORITY_TAG = "minority";

    Nemesis(FaultCluster cluster, History history, long seed) {
        this.cluster = cluster;
        this.history = history;
        this.random = new Random(seed);
    }

    /** Runs fault rounds until {@code duration} has passed; heals everything before returning. */
    void run(Duration duration) throws IOException, InterruptedException {
        long end = System.nanoTime() + duration.toNanos();
        try {
            while (System.nanoTime() < end) {
                Thread.sleep(1000 + random.nextInt(1500));
                if (System.nanoTime() >= end) {
                    break;
                }
                round(nextKind());
                awaitAllAnswering(Duration.ofSeconds(60));
            }
        } finally {
            healEverything();
        }
    }

    private Kind nextKind() {
        if (cycle.isEmpty()) {
            cycle.addAll(List.of(Kind.values()));
            Collections.shuffle(cycle, random);
        }
        return cycle.remove(0);
    }

    private void round(Kind kind) throws IOException, InterruptedException {
        int faultyMax = (cluster.size() - 1) / 2;
        Optional<NodeProcess> leader = cluster.leader();
        String note = leader.isPresent() ? "" : "no node claimed leadership; picked at random";
        NodeProcess target = leader.orElseGet(() -> cluster.node(random.nextInt(cluster.size())));
        long hold = 2500 + random.nextInt(2500);
        switch (kind) {
            case KILL_LEADER -> {
                target.kill9();
                killed.add(target);
                long at = history.now();
                Thread.sleep(hold);
                long healed = restart(target);
                history.record(new Fault(history.nextId(), kind, List.of(target.id()), at, healed, note));
            }
            case KILL_FOLLOWER -> {
                List<NodeProcess> victims = pick(followers(target), 1 + random.nextInt(faultyMax));
                for (NodeProcess v : victims) {
                    v.kill9();
                    killed.add(v);
                }
                long at = history.now();
                Thread.sleep(hold);
                long healed = -1;
                for (NodeProcess v : victims) {
                    healed = restart(v);
                }
                history.record(new Fault(history.nextId(), kind, ids(victims), at, healed, ""));
            }
            case PAUSE -> {
                NodeProcess victim = random.nextBoolean() ? target : cluster.node(random.nextInt(cluster.size()));
                victim.pause();
                paused.add(victim);
                long at = history.now();
                Thread.sleep(hold);
                victim.resume();
                paused.remove(victim);
                long healed = history.now();
                history.record(new Fault(history.nextId(), kind, List.of(victim.id()), at, healed,
                        leader.isPresent() && victim == target ? "the leader" : "a random node"));
            }
            case PARTITION_LEADER -> {
                partitions++;
                List<NodeProcess> minority = new ArrayList<>(List.of(target));
                minority.addAll(pick(followers(target), faultyMax - 1));
                Set<Integer> side = new HashSet<>();
                minority.forEach(n -> side.add(n.index()));
                RegistryOps probe = new RegistryOps(history, -2, Duration.ofSeconds(2));
                byte[] layer = RegistryOps.config("minority-layer", partitions); // any small blob will do
                boolean layerPushed = new RegistryOps(history, -2, Duration.ofSeconds(8)).pushBlob(target.endpoint(), layer).ok();
                cluster.net().isolate(side);
                long at = history.now();
                // Longer than a client's timeout, so that requests start and end inside the cut.
                probeMinority(probe, minority, layerPushed ? Optional.of(layer) : Optional.empty(), hold + 6000);
                long healing = history.now();
                cluster.net().healAll();
                history.record(new Fault(history.nextId(), kind, ids(minority), at, healing, note));
            }
        }
    }

    /**
     * While the minority is cut off, keeps sending it small writes with a short timeout, so that
     * many writes start and end inside the cut: a broken server would acknowledge some of them.
     */
    private void probeMinority(RegistryOps probe, List<NodeProcess> minority, Optional<byte[]> layer, long millis)
            throws InterruptedException {
        long end = System.nanoTime() + millis * 1_000_000;
        while (System.nanoTime() < end) {
            for (NodeProcess n : minority) {
                byte[] blob = new byte[256];
                ThreadLocalRandom.current().nextBytes(blob);
                probe.pushBlob(n.endpoint(), blob);
                if (layer.isPresent()) {
                    // A tag write whose blobs are all acknowledged: only the missing majority can refuse it.
                    long seq = -(++partitionWrites);
                    probe.putTag(n.endpoint(), MINORITY_TAG, seq,
                            RegistryOps.manifest(layer.get(), Digest.of(layer.get()).toString(), layer.get().length, MINORITY_TAG, seq));
                }
            }
            Thread.sleep(Math.max(0, Math.min(300, (end - System.nanoTime()) / 1_000_000)));
        }
    }

    private long restart(NodeProcess node) throws IOException {
        node.start();
        killed.remove(node);
        return history.now();
    }

    private List<NodeProcess> followers(NodeProcess leader) {
        List<NodeProcess> others = new ArrayList<>(cluster.nodes());
        others.remove(leader);
        return others;
    }

    private List<NodeProcess> pick(List<NodeProcess> from, int count) {
        List<NodeProcess> copy = new ArrayList<>(from);
        Collections.shuffle(copy, random);
        return copy.subList(0, Math.min(count, copy.size()));
    }

    private static List<String> ids(List<NodeProcess> nodes) {
        return nodes.stream().map(NodeProcess::id).toList();
    }

    private void awaitAllAnswering(Duration timeout) {
        FaultCluster.await(timeout, "every node answering HTTP after a fault", () -> cluster.nodes().stream()
                .allMatch(n -> n.status(Duration.ofSeconds(2)).isPresent()));
    }

    /** Resumes, restarts and reconnects whatever is still faulty. */
    void healEverything() throws IOException {
        for (NodeProcess n : List.copyOf(paused)) {
            n.resume();
            paused.remove(n);
        }
        for (NodeProcess n : List.copyOf(killed)) {
            if (!n.running()) {
                restart(n);
            }
            killed.remove(n);
        }
        cluster.net().healAll();
    }
}
