package dev.layerfs.imaged.faults;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * A private network for a cluster: one network namespace per node, each with a veth link to a
 * bridge in the root namespace (where the test's clients live), on a /24 of 10.213.x.0 that exists
 * only on this machine. A link between two nodes is cut for real with iptables DROP rules inside
 * both namespaces, so Raft (gRPC) and node-to-node HTTP (blob copies, upload forwarding) both stop,
 * established connections stall as on a real network, and the clients still reach every node.
 */
final class FaultNet implements AutoCloseable {

    private final String prefix;
    private final int subnet;
    private final int size;
    private final Set<List<Integer>> cuts = new HashSet<>();
    private final List<String> created = new ArrayList<>();
    private boolean bridgeCreated;

    private FaultNet(String prefix, int subnet, int size) {
        this.prefix = prefix;
        this.subnet = subnet;
        this.size = size;
    }

    /** Empty when this machine can build namespaces (root with iproute2 and iptables), else why not. */
    static Optional<String> unavailableReason() {
        if (!"root".equals(System.getProperty("user.name"))) {
            return Optional.of("network namespaces need root; running as " + System.getProperty("user.name"));
        }
        for (String tool : List.of("/usr/sbin/ip", "/usr/sbin/iptables")) {
            if (!new java.io.File(tool).canExecute() && !new java.io.File(tool.replace("/usr/sbin", "/sbin")).canExecute()) {
                return Optional.of(tool + " is not installed");
            }
        }
        return Optional.empty();
    }

    static FaultNet create(int size, long seed) throws IOException {
        Random r = new Random(seed ^ System.nanoTime());
        String prefix = "lfx" + Integer.toString(1000 + r.nextInt(9000), 36);
        FaultNet net = new FaultNet(prefix, 1 + r.nextInt(250), size);
        try {
            net.build();
        } catch (IOException | RuntimeException e) {
            net.close();
            throw e;
        }
        return net;
    }

    private void build() throws IOException {
        String bridge = prefix + "br";
        run("ip", "link", "add", "name", bridge, "type", "bridge");
        bridgeCreated = true;
        run("ip", "addr", "add", "10.213." + subnet + ".254/24", "dev", bridge);
        run("ip", "link", "set", bridge, "up");
        for (int i = 0; i < size; i++) {
            String ns = namespace(i);
            String outside = prefix + "v" + i;
            String inside = prefix + "p" + i;
            run("ip", "netns", "add", ns);
            created.add(ns);
            run("ip", "link", "add", outside, "type", "veth", "peer", "name", inside);
            run("ip", "link", "set", inside, "netns", ns);
            run("ip", "link", "set", outside, "master", bridge, "up");
            run("ip", "-n", ns, "link", "set", "lo", "up");
            run("ip", "-n", ns, "addr", "add", address(i) + "/24", "dev", inside);
            run("ip", "-n", ns, "link", "set", inside, "up");
        }
    }

    int size() {
        return size;
    }

    String namespace(int i) {
        return prefix + "n" + i;
    }

    String address(int i) {
        return "10.213." + subnet + "." + (i + 1);
    }

    /** The command prefix that runs a program inside node {@code i}'s namespace. */
    List<String> inNamespace(int i) {
        return List.of("ip", "netns", "exec", namespace(i));
    }

    /** Drops all traffic between nodes {@code a} and {@code b}, both ways. */
    synchronized void cut(int a, int b) throws IOException {
        if (a == b || !cuts.add(List.of(Math.min(a, b), Math.max(a, b)))) {
            return;
        }
        run("ip", "netns", "exec", namespace(a), "iptables", "-A", "INPUT", "-s", address(b), "-j", "DROP");
        run("ip", "netns", "exec", namespace(b), "iptables", "-A", "INPUT", "-s", address(a), "-j", "DROP");
    }

    /** Cuts every link between {@code side} and the other nodes. */
    synchronized void isolate(Set<Integer> side) throws IOException {
        for (int a : side) {
            for (int b = 0; b < size; b++) {
                if (!side.contains(b)) {
                    cut(a, b);
                }
            }
        }
    }

    synchronized void healAll() throws IOException {
        for (List<Integer> link : List.copyOf(cuts)) {
            int a = link.get(0);
            int b = link.get(1);
            run("ip", "netns", "exec", namespace(a), "iptables", "-D", "INPUT", "-s", address(b), "-j", "DROP");
            run("ip", "netns", "exec", namespace(b), "iptables", "-D", "INPUT", "-s", address(a), "-j", "DROP");
            cuts.remove(link);
        }
    }

    /** Deletes the namespaces (which deletes their veth pairs) and the bridge; never throws. */
    @Override
    public synchronized void close() {
        for (String ns : created) {
            quietly("ip", "netns", "del", ns);
        }
        created.clear();
        if (bridgeCreated) {
            quietly("ip", "link", "del", prefix + "br");
            bridgeCreated = false;
        }
    }

    private static void quietly(String... cmd) {
        try {
            run(cmd);
        } catch (IOException | RuntimeException e) {
            System.err.println("faults: cleanup step failed: " + e.getMessage());
        }
    }

    static void run(String... cmd) throws IOException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try {
            if (!p.waitFor(20, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("timed out: " + String.join(" ", cmd));
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted: " + String.join(" ", cmd), e);
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (p.exitValue() != 0) {
            throw new IOException("'" + String.join(" ", cmd) + "' exited " + p.exitValue() + ": " + out);
        }
    }
}
