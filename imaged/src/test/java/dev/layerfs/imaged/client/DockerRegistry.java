package dev.layerfs.imaged.client;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Debian's reference OCI registry ({@code docker-registry}, distribution/distribution) as a real
 * process on a free loopback port, storing under a test directory. Tests that need a registry
 * skip loudly when it is not installed.
 */
final class DockerRegistry implements AutoCloseable {

    static final Path BINARY = Path.of("/usr/bin/docker-registry");

    private final Process process;
    private final URI url;
    private final Path storage;

    private DockerRegistry(Process process, URI url, Path storage) {
        this.process = process;
        this.url = url;
        this.storage = storage;
    }

    static DockerRegistry start(Path dir) throws IOException, InterruptedException {
        assumeTrue(Files.isExecutable(BINARY),
                "SKIPPED LOUDLY: " + BINARY + " (Debian package docker-registry) is not installed; push/pull tests need a real registry");
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Path storage = Files.createDirectories(dir.resolve("registry-data"));
        Path config = dir.resolve("registry.yml");
        Files.writeString(config, String.join("\n",
                "version: 0.1",
                "log:",
                "  level: warn",
                "  accesslog:",
                "    disabled: true",
                "storage:",
                "  filesystem:",
                "    rootdirectory: " + storage,
                "  delete:",
                "    enabled: true",
                "http:",
                "  addr: 127.0.0.1:" + port,
                "  secret: test-secret",
                ""));
        Process p = new ProcessBuilder(BINARY.toString(), "serve", config.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("registry.log").toFile()).start();
        URI url = URI.create("http://127.0.0.1:" + port);
        DockerRegistry registry = new DockerRegistry(p, url, storage);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new IllegalStateException("docker-registry exited: " + Files.readString(dir.resolve("registry.log")));
            }
            try {
                HttpURLConnection c = (HttpURLConnection) url.resolve("/v2/").toURL().openConnection();
                c.setConnectTimeout(500);
                if (c.getResponseCode() == 200) {
                    return registry;
                }
            } catch (IOException notYet) {
                // still starting
            }
            Thread.sleep(50);
        }
        registry.close();
        throw new IllegalStateException("docker-registry did not answer on " + url);
    }

    URI url() {
        return url;
    }

    String hostPort() {
        return url.getHost() + ":" + url.getPort();
    }

    /** The registry's own file for a blob (distribution's filesystem layout), for tampering tests. */
    Path blobFile(dev.layerfs.imaged.oci.Digest digest) {
        return storage.resolve("docker/registry/v2/blobs/sha256/" + digest.hex().substring(0, 2) + "/" + digest.hex() + "/data");
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }
}
