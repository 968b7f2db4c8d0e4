package dev.layerfs.cli.lxc;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A one-node imaged registry in its own JVM on 127.0.0.1, for the container-from-image tests. */
final class ImagedNode implements AutoCloseable {

    private final Process process;
    private final int httpPort;
    private final Path log;

    private ImagedNode(Process process, int httpPort, Path log) {
        this.process = process;
        this.httpPort = httpPort;
        this.log = log;
    }

    static ImagedNode start(Path data) throws IOException {
        int http = freePort();
        int raft = freePort();
        Path log = data.resolveSibling(data.getFileName() + ".log");
        Process p = new ProcessBuilder(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx192m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")),
                "dev.layerfs.imaged.server.ImagedMain",
                "--id", "n1", "--peers", "n1=127.0.0.1:" + raft, "--listen", "127.0.0.1:" + http, "--data", data.toString()))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        ImagedNode node = new ImagedNode(p, http, log);
        node.awaitReady();
        return node;
    }

    URI url() {
        return URI.create("http://127.0.0.1:" + httpPort);
    }

    private void awaitReady() throws IOException {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("imaged exited at start:\n" + Files.readString(log));
            }
            try {
                HttpResponse<Void> r = client.send(HttpRequest.newBuilder(url().resolve("/v2/")).build(), HttpResponse.BodyHandlers.discarding());
                if (r.statusCode() == 200) {
                    return;
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
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
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
