package dev.layerfs.imaged.testing;

import com.fasterxml.jackson.databind.JsonNode;
import dev.layerfs.imaged.meta.Json;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * One imaged node as a separate JVM ({@code java -cp <test class path> ImagedMain ...}), its
 * output appended to {@code <data>.log}. Tests start, SIGTERM, SIGKILL and restart it.
 */
public final class ImagedProcess implements AutoCloseable {

    private final String id;
    private final String peers;
    private final int httpPort;
    private final Path data;
    private final Path log;
    private final List<String> extraArgs;
    private Process process;

    public ImagedProcess(String id, String peers, int httpPort, Path data, List<String> extraArgs) {
        this.id = id;
        this.peers = peers;
        this.httpPort = httpPort;
        this.data = data;
        this.log = data.resolveSibling(data.getFileName() + ".log");
        this.extraArgs = List.copyOf(extraArgs);
    }

    /** A port for a node to listen on (see {@link FreePorts} for why not {@code bind(0)}). */
    public static int freePort() {
        return FreePorts.next();
    }

    public String id() {
        return id;
    }

    /** The server JVM's process id (to read its /proc entries). */
    public long pid() {
        return process.pid();
    }

    public Path data() {
        return data;
    }

    /** The --peers list this node was started with. */
    public String peers() {
        return peers;
    }

    public String httpAddress() {
        return "127.0.0.1:" + httpPort;
    }

    public RegistryClient client() {
        return new RegistryClient(httpAddress());
    }

    public ImagedProcess start() throws IOException {
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx192m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto",
                "-Dorg.slf4j.simpleLogger.showDateTime=true",
                "-Dorg.slf4j.simpleLogger.log.org.apache.ratis=warn",
                "-cp", System.getProperty("java.class.path"),
                "dev.layerfs.imaged.server.ImagedMain",
                "--id", id, "--peers", peers, "--listen", httpAddress(), "--data", data.toString()));
        cmd.addAll(extraArgs);
        Files.writeString(log, "=== start " + Instant.now() + " " + String.join(" ", cmd) + "\n",
                StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
        process = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        return this;
    }

    /**
     * Waits until the HTTP API answers. A node that exits first, or never answers, fails the
     * wait at once with the end of its log: that is where the reason is.
     */
    public ImagedProcess awaitHttp(Duration timeout) {
        try {
            await(timeout, "node " + id + " HTTP API", () -> {
                if (!process.isAlive()) {
                    throw new AssertionError("node " + id + " exited with status " + process.exitValue()
                            + " before its HTTP API answered");
                }
                try {
                    return client().get("/v2/").statusCode() == 200;
                } catch (IOException e) {
                    return false;
                }
            });
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "; end of " + log + ":\n" + logTail(60), e);
        }
        return this;
    }

    private String logTail(int lines) {
        try {
            List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException | RuntimeException e) {
            return "(log unreadable: " + e + ")";
        }
    }

    public JsonNode status() throws IOException {
        HttpResponse<byte[]> r = client().get("/internal/status");
        return Json.MAPPER.readTree(r.body());
    }

    public boolean isLeader() {
        try {
            return process != null && process.isAlive() && status().get("leader").asBoolean();
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    public void kill9() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(20, TimeUnit.SECONDS);
    }

    /** SIGTERM and wait for a clean exit; returns the exit status. */
    public int stop() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
            return -1;
        }
        return process.exitValue();
    }

    public String log() throws IOException {
        return Files.readString(log, StandardCharsets.UTF_8);
    }

    @Override
    public void close() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroyForcibly();
            process.waitFor(20, TimeUnit.SECONDS);
        }
    }

    public static void await(Duration timeout, String what, BooleanSupplier condition) {
        Instant deadline = Instant.now().plus(timeout);
        while (!condition.getAsBoolean()) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("timed out after " + timeout + " waiting for " + what);
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for " + what);
            }
        }
    }
}
