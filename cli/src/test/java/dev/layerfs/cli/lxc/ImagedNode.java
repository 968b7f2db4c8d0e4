package dev.layerfs.cli.lxc;

import dev.layerfs.imaged.testing.FreePorts;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** An imaged node in its own JVM on 127.0.0.1 (alone, or one of a cluster), for the container-from-image tests. */
public final class ImagedNode implements AutoCloseable {

    private final Process process;
    private final int httpPort;
    private final int raftPort;
    private final Path log;

    private ImagedNode(Process process, int httpPort, int raftPort, Path log) {
        this.process = process;
        this.httpPort = httpPort;
        this.raftPort = raftPort;
        this.log = log;
    }

    /** The port this node's Raft server listens on. */
    public int raftPort() {
        return raftPort;
    }

    static ImagedNode start(Path data) throws IOException {
        return launch("n1", "n1=127.0.0.1:" + freePort(), data).awaitReady();
    }

    /**
     * {@code size} nodes n1..nSIZE forming one Raft group, ready when one of them leads and every
     * node knows every other's HTTP address (so that blobs can be copied); on failure none is left running.
     */
    public static List<ImagedNode> cluster(Path dir, int size) throws IOException {
        StringBuilder peers = new StringBuilder();
        for (int i = 1; i <= size; i++) {
            peers.append(i > 1 ? "," : "").append("n").append(i).append("=127.0.0.1:").append(freePort());
        }
        List<ImagedNode> nodes = new java.util.ArrayList<>();
        try {
            for (int i = 1; i <= size; i++) {
                nodes.add(launch("n" + i, peers.toString(), dir.resolve("n" + i)));
            }
            for (ImagedNode n : nodes) {
                n.awaitReady();
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            while (!(nodes.stream().anyMatch(n -> n.internalStatus().contains("\"leader\":true"))
                    && nodes.stream().allMatch(n -> n.internalStatus().contains("\"nodes\":" + size)))) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the cluster formed no leader with all nodes registered within 90 s");
                }
                sleep(200);
            }
            return nodes;
        } catch (IOException | RuntimeException e) {
            nodes.forEach(ImagedNode::close);
            throw e;
        }
    }

    private static ImagedNode launch(String id, String peers, Path data) throws IOException {
        int http = freePort();
        Path log = data.resolveSibling(data.getFileName() + ".log");
        Files.createDirectories(data.getParent());
        Process p = new ProcessBuilder(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx192m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-Dorg.slf4j.simpleLogger.log.org.apache.ratis=warn",
                "-cp", System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")),
                "dev.layerfs.imaged.server.ImagedMain",
                "--id", id, "--peers", peers, "--listen", "127.0.0.1:" + http, "--data", data.toString()))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        int raft = java.util.Arrays.stream(peers.split(",")).filter(peer -> peer.startsWith(id + "="))
                .mapToInt(peer -> Integer.parseInt(peer.substring(peer.lastIndexOf(':') + 1))).findFirst().orElseThrow();
        return new ImagedNode(p, http, raft, log);
    }

    public boolean isLeader() {
        return internalStatus().contains("\"leader\":true");
    }

    private String internalStatus() {
        try {
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(url().resolve("/internal/status"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
            return r.body().replace(" ", "");
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** Stops the process in its tracks (SIGSTOP): it answers nothing and applies nothing until {@link #resume}. */
    public void suspend() {
        signal("STOP");
    }

    public void resume() {
        signal("CONT");
    }

    /** Dies at once, as a crashed machine does (SIGKILL). */
    public void kill9() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(20, TimeUnit.SECONDS);
    }

    private void signal(String name) {
        try {
            if (new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).start().waitFor() != 0) {
                throw new IllegalStateException("kill -" + name + " " + process.pid() + " failed");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    public String log() throws IOException {
        return Files.readString(log);
    }

    public URI url() {
        return URI.create("http://127.0.0.1:" + httpPort);
    }

    private ImagedNode awaitReady() throws IOException {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("imaged exited at start:\n" + Files.readString(log));
            }
            try {
                HttpResponse<Void> r = client.send(HttpRequest.newBuilder(url().resolve("/v2/")).build(), HttpResponse.BodyHandlers.discarding());
                if (r.statusCode() == 200) {
                    return this;
                }
            } catch (IOException e) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException(e);
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException(e);
            }
        }
        close();
        throw new IllegalStateException("imaged did not answer on " + url() + " within 90 s:\n" + Files.readString(log));
    }

    private static int freePort() {
        return FreePorts.next();
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            try {
                signal("CONT"); // a suspended process would not act on SIGTERM
            } catch (RuntimeException e) {
                // it died meanwhile
            }
        }
        process.destroy();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
