package dev.layerfs.cli.imaged;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.layerfs.imaged.testing.FreePorts;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code imaged serve} as a user runs it: a separate JVM through the ImagedCli launcher class. */
class ServeCommandTest {

    @TempDir
    Path dir;

    private Process launch(String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"),
                "dev.layerfs.cli.ImagedCli", "serve"));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("out.log").toFile()).start();
    }

    private String finish(Process p) throws Exception {
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "serve did not exit");
        return Files.readString(dir.resolve("out.log"), StandardCharsets.UTF_8).trim();
    }

    @Test
    @Timeout(90)
    void malformedPeersIsOneLineAndExit2() throws Exception {
        Process p = launch("--id", "n1", "--peers", "n1=127.0.0.1:7001,n2", "--data", dir.resolve("d").toString());
        String out = finish(p);
        assertEquals(2, p.exitValue(), out);
        assertEquals("imaged: peer 'n2' is not id=host:port", out);
    }

    @Test
    @Timeout(90)
    void idNotAmongPeersIsRefused() throws Exception {
        Process p = launch("--id", "n9", "--peers", "n1=127.0.0.1:7001,n2=127.0.0.1:7002", "--data", dir.resolve("d").toString());
        String out = finish(p);
        assertEquals(2, p.exitValue(), out);
        assertTrue(out.startsWith("imaged: node id 'n9' is not among the peers"), out);
        assertEquals(1, out.lines().count(), out);
    }

    @Test
    @Timeout(90)
    void unusableDataDirectoryIsRefusedNamingIt() throws Exception {
        Path file = Files.writeString(dir.resolve("not-a-dir"), "x");
        Process p = launch("--data", file.toString());
        String out = finish(p);
        assertEquals(2, p.exitValue(), out);
        assertTrue(out.startsWith("imaged: cannot create data directory " + file), out);
        assertEquals(1, out.lines().count(), out);
    }

    @Test
    @Timeout(120)
    void servesAOneNodeRegistryAndStopsCleanlyOnSigterm() throws Exception {
        int port = FreePorts.next();
        Process p = launch("--listen", "127.0.0.1:" + port, "--data", dir.resolve("d").toString());
        try {
            HttpClient http = HttpClient.newHttpClient();
            Instant deadline = Instant.now().plusSeconds(60);
            int status = 0;
            while (status != 200 && Instant.now().isBefore(deadline)) {
                try {
                    status = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v2/")).build(),
                            HttpResponse.BodyHandlers.discarding()).statusCode();
                } catch (IOException e) {
                    Thread.sleep(200);
                }
            }
            assertEquals(200, status, "the registry answered /v2/");
            p.destroy();
            String out = finish(p);
            assertTrue(out.contains("node local: registry API on http://127.0.0.1:" + port), out);
            assertTrue(out.contains("node local: stopped"), out);
            assertTrue(Files.isDirectory(dir.resolve("d").resolve("raft")), "Raft state lives under the data directory");
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    @Timeout(90)
    void aBusyHttpPortFailsWithOneLineAndExits() throws Exception {
        try (ServerSocket busy = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            Process p = launch("--listen", "127.0.0.1:" + busy.getLocalPort(), "--data", dir.resolve("d").toString());
            String out = finish(p);
            assertEquals(1, p.exitValue(), out);
            String last = out.lines().reduce((a, b) -> b).orElse("");
            assertEquals("imaged: cannot listen for the registry API (--listen) on 127.0.0.1:" + busy.getLocalPort(),
                    last.substring(0, last.indexOf(": ", "imaged: ".length())), out);
            assertFalse(Files.exists(dir.resolve("d")), "a refused start creates no data directory");
        }
    }

    @Test
    @Timeout(90)
    void aBusyRaftPortFailsWithOneLineNamingTheNodeAndExits() throws Exception {
        try (ServerSocket busy = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            Process p = launch("--id", "n1", "--peers", "n1=127.0.0.1:" + busy.getLocalPort(),
                    "--listen", "127.0.0.1:" + FreePorts.next(), "--data", dir.resolve("d").toString());
            String out = finish(p);
            assertEquals(1, p.exitValue(), out);
            String last = out.lines().reduce((a, b) -> b).orElse("");
            assertTrue(last.startsWith("imaged: cannot listen for Raft (node n1) on 127.0.0.1:" + busy.getLocalPort() + ": "), out);
            assertFalse(out.contains("Exception"), "one line, no stack trace: " + out);
            assertFalse(Files.exists(dir.resolve("d")), "a refused start creates no data directory");
        }
    }
}
