package dev.layerfs.imaged.faults;

import com.fasterxml.jackson.databind.JsonNode;
import dev.layerfs.imaged.meta.Json;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * One imaged node as its own JVM inside its network namespace. The nemesis kills it with SIGKILL,
 * freezes it with SIGSTOP, thaws it with SIGCONT and restarts it on the same data directory;
 * its output is appended to {@code <data>.log} across restarts.
 */
final class NodeProcess implements AutoCloseable {

    static final int HTTP_PORT = 5000;
    static final int RAFT_PORT = 6000;

    private final int index;
    private final String id;
    private final String address;
    private final List<String> launcher;
    private final String peers;
    private final Path data;
    private final Path log;
    private final List<String> extraArgs;
    private final HttpClient http = HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(1))
            .version(HttpClient.Version.HTTP_1_1)
            .build();
    private Process process;
    private boolean paused;

    NodeProcess(int index, String address, List<String> launcher, String peers, Path data, List<String> extraArgs) {
        this.index = index;
        this.id = "n" + (index + 1);
        this.address = address;
        this.launcher = List.copyOf(launcher);
        this.peers = peers;
        this.data = data;
        this.log = data.resolveSibling(data.getFileName() + ".log");
        this.extraArgs = List.copyOf(extraArgs);
    }

    int index() {
        return index;
    }

    String id() {
        return id;
    }

    Path data() {
        return data;
    }

    Path log() {
        return log;
    }

    String httpAddress() {
        return address + ":" + HTTP_PORT;
    }

    Endpoint endpoint() {
        return new Endpoint(id, httpAddress());
    }

    synchronized boolean running() {
        return process != null && process.isAlive();
    }

    synchronized boolean paused() {
        return paused;
    }

    synchronized long pid() {
        return process == null ? -1 : process.pid();
    }

    synchronized void start() throws IOException {
        if (running()) {
            throw new IllegalStateException("node " + id + " is already running (pid " + process.pid() + ")");
        }
        List<String> cmd = new ArrayList<>(launcher);
        cmd.addAll(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx160m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto",
                "-Dorg.slf4j.simpleLogger.showDateTime=true",
                "-Dorg.slf4j.simpleLogger.log.org.apache.ratis=warn",
                "-cp", System.getProperty("java.class.path"),
                "dev.layerfs.imaged.server.ImagedMain",
                "--id", id, "--peers", peers, "--listen", httpAddress(), "--data", data.toString()));
        cmd.addAll(extraArgs);
        Files.writeString(log, "=== start " + Instant.now() + " " + String.join(" ", cmd) + "\n",
                StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        process = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        paused = false;
    }

    /** SIGKILL, then wait until the process is gone. */
    synchronized void kill9() throws InterruptedException {
        if (process == null) {
            return;
        }
        process.destroyForcibly();
        process.waitFor(20, TimeUnit.SECONDS);
        paused = false;
    }

    synchronized void pause() throws IOException {
        signal("STOP");
        paused = true;
    }

    synchronized void resume() throws IOException {
        signal("CONT");
        paused = false;
    }

    /** SIGQUIT: the JVM writes every thread's stack to its log and runs on; why a node hangs. */
    synchronized void dumpThreads() throws IOException {
        signal("QUIT");
    }

    private void signal(String name) throws IOException {
        if (!running()) {
            throw new IllegalStateException("node " + id + " is not running; cannot send SIG" + name);
        }
        FaultNet.run("kill", "-" + name, Long.toString(process.pid()));
    }

    /** The node's {@code /internal/status}, or empty when it does not answer within {@code timeout}. */
    Optional<JsonNode> status(Duration timeout) {
        try {
            HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create("http://" + httpAddress() + "/internal/status"))
                    .timeout(timeout).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
            return r.statusCode() == 200 ? Optional.of(Json.MAPPER.readTree(r.body())) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    boolean claimsLeadership() {
        return running() && !paused() && status(Duration.ofSeconds(2)).map(s -> s.path("leader").asBoolean()).orElse(false);
    }

    @Override
    public synchronized void close() throws InterruptedException {
        if (process != null && process.isAlive()) {
            if (paused) {
                try {
                    signal("CONT");
                } catch (IOException | RuntimeException e) {
                    // SIGKILL works on a stopped process too
                }
            }
            process.destroyForcibly();
            process.waitFor(20, TimeUnit.SECONDS);
        }
    }
}
