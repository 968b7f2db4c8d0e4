package dev.layerfs.cli.imaged;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.layerfs.imaged.testing.FreePorts;
import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** Debian's reference registry (docker-registry) on a free loopback port, for the command tests. */
final class LocalRegistry implements AutoCloseable {

    private static final Path BINARY = Path.of("/usr/bin/docker-registry");

    private final Process process;
    private final String url;
    private final Path log;

    private LocalRegistry(Process process, String url, Path log) {
        this.process = process;
        this.url = url;
        this.log = log;
    }

    static LocalRegistry start(Path dir) throws IOException, InterruptedException {
        assumeTrue(Files.isExecutable(BINARY), "SKIPPED LOUDLY: docker-registry is not installed; the push/pull commands need a registry");
        int port = FreePorts.next();
        Path config = dir.resolve("registry.yml");
        Files.writeString(config, "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n"
                + "    rootdirectory: " + dir.resolve("data") + "\nhttp:\n  addr: 127.0.0.1:" + port + "\n  secret: s\n");
        Process p = new ProcessBuilder(BINARY.toString(), "serve", config.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("log").toFile()).start();
        LocalRegistry registry = new LocalRegistry(p, "http://127.0.0.1:" + port, dir.resolve("log"));
        for (int i = 0; i < 200; i++) {
            try {
                HttpURLConnection c = (HttpURLConnection) URI.create(registry.url + "/v2/").toURL().openConnection();
                if (c.getResponseCode() == 200) {
                    return registry;
                }
            } catch (IOException notYet) {
                Thread.sleep(50);
            }
        }
        registry.close();
        throw new IllegalStateException("docker-registry did not start on " + registry.url);
    }

    String url() {
        return url;
    }

    /** How many requests the access log shows with this method and path. */
    long requests(String method, String path) throws IOException {
        String needle = "\"" + method + " " + path + " ";
        return Files.readAllLines(log).stream().filter(l -> l.contains(needle)).count();
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }
}
