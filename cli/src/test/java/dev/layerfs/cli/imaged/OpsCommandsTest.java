package dev.layerfs.cli.imaged;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.layerfs.cli.ImagedCli;
import dev.layerfs.cli.UserError;
import dev.layerfs.imaged.cluster.RaftTuning;
import dev.layerfs.imaged.oci.Digest;
import dev.layerfs.imaged.server.ImagedServer;
import dev.layerfs.imaged.server.ServerConfig;
import dev.layerfs.imaged.testing.FreePorts;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

/** {@code imaged cluster status}, {@code imaged lease …} and {@code imaged gc} against a live one-node imaged. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class OpsCommandsTest {

    private Path dir;

    private ImagedServer server;
    private String url;

    private record Run(int exit, String out, String err) {
    }

    @BeforeAll
    void start() throws Exception {
        dir = java.nio.file.Files.createTempDirectory("imaged-cli-ops");
        int port = FreePorts.next();
        server = new ImagedServer(ServerConfig.embedded("local", new InetSocketAddress("127.0.0.1", port), dir, RaftTuning.DEFAULT));
        server.start();
        url = "http://127.0.0.1:" + port;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!run("cluster", "status", "--server", url).out().contains("LEADER")) {
            assertTrue(System.nanoTime() < deadline, "the node became leader");
            Thread.sleep(300);
        }
    }

    @AfterAll
    void stop() {
        if (server != null) {
            server.close();
        }
        try (java.util.stream.Stream<Path> files = java.nio.file.Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (java.io.IOException e) {
            System.err.println("could not delete " + dir + ": " + e);
        }
    }

    /** Runs the imaged launcher's command tree as a user's shell would (user errors exit 2). */
    private Run run(String... args) {
        PrintStream realOut = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(new ImagedCli());
        cli.setErr(new PrintWriter(err, true));
        cli.setExecutionExceptionHandler((e, line, parsed) -> {
            line.getErr().println("imaged: " + e.getMessage());
            return e instanceof UserError ? 2 : 1;
        });
        int exit;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            exit = cli.execute(args);
        } finally {
            System.setOut(realOut);
        }
        return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString());
    }

    @Test
    void clusterStatusShowsTheNodeItsRoleAndHealth() {
        Run r = run("cluster", "status", "--server", url);
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().matches("(?s).*local\\s+LEADER\\s+ok.*"), r.out());
        assertTrue(r.out().contains("replication factor 1: 0 blobs under-replicated"), r.out());
    }

    @Test
    void leaseAcquireRefusesASecondHolderAndTheTokenGatesCheckAndRelease() {
        Run a = run("lease", "acquire", "ct.one", "--ttl", "60s", "--holder", "host-a", "--server", url);
        assertEquals(0, a.exit(), a.err());
        Matcher m = Pattern.compile("token (\\d+)").matcher(a.out());
        assertTrue(m.find(), a.out());
        String token = m.group(1);

        Run b = run("lease", "acquire", "ct.one", "--ttl", "60s", "--holder", "host-b", "--server", url);
        assertEquals(2, b.exit());
        assertTrue(b.err().contains("held by host-a"), b.err());

        assertEquals(0, run("lease", "check", "ct.one", "--token", token, "--server", url).exit());
        assertEquals(2, run("lease", "check", "ct.one", "--token", String.valueOf(Long.parseLong(token) - 1), "--server", url).exit());
        assertEquals(0, run("lease", "release", "ct.one", "--token", token, "--server", url).exit());
        Run gone = run("lease", "check", "ct.one", "--token", token, "--server", url);
        assertEquals(2, gone.exit());
        assertTrue(gone.err().contains("not held"), gone.err());
    }

    @Test
    void gcDryRunListsAnUnreferencedBlobAndTheRealRunRemovesIt() throws Exception {
        byte[] stray = "a blob no manifest references".getBytes(StandardCharsets.UTF_8);
        Digest digest = Digest.of(stray);
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<Void> put = http.send(HttpRequest.newBuilder(URI.create(url + "/v2/scratch/blobs/uploads/?digest=" + digest))
                .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofByteArray(stray)).build(), HttpResponse.BodyHandlers.discarding());
        assertEquals(201, put.statusCode());

        Run dry = run("gc", "--dry-run", "--grace", "0s", "--server", url);
        assertEquals(0, dry.exit(), dry.err());
        assertTrue(dry.out().contains("would remove blob " + digest), dry.out());
        Run kept = run("gc", "--server", url); // default grace (1h): the fresh blob stays
        assertTrue(kept.out().contains("removed 0 manifests and 0 blobs"), kept.out());

        Run real = run("gc", "--grace", "0s", "--server", url);
        assertEquals(0, real.exit(), real.err());
        assertTrue(real.out().contains("removed blob " + digest), real.out());
        HttpResponse<Void> head = http.send(HttpRequest.newBuilder(URI.create(url + "/v2/scratch/blobs/" + digest))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
        assertEquals(404, head.statusCode());
    }

    @Test
    void badInputIsOneLineNamingTheValue() {
        Run add = run("cluster", "add", "n4", "--server", url);
        assertEquals(2, add.exit());
        assertTrue(add.err().contains("node 'n4' is not ID=HOST:PORT"), add.err());
        Run ttl = run("lease", "acquire", "x", "--ttl", "soon", "--server", url);
        assertEquals(2, ttl.exit());
        assertTrue(ttl.err().contains("'soon' is not a duration"), ttl.err());
        Run dup = run("cluster", "add", "local=127.0.0.1:1", "--server", url);
        assertEquals(2, dup.exit());
        assertTrue(dup.err().contains("node local is already a member"), dup.err());
    }
}
