package dev.layerfs.cli.imaged;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.layerfs.cli.ImagedCli;
import dev.layerfs.cli.UserError;
import dev.layerfs.cli.lxc.ImagedNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Read-your-writes across nodes on a three-node cluster of real processes: a write's index,
 * passed to a local read on another node, makes that node wait until it has applied the write.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class ReadYourWritesTest {

    @TempDir
    static Path dir;
    private static List<ImagedNode> cluster;

    @BeforeAll
    static void start() throws Exception {
        cluster = ImagedNode.cluster(dir.resolve("cluster"), 3);
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.forEach(ImagedNode::close);
        }
    }

    private record Run(int exit, String out, String err) {
    }

    private static Run run(String... args) {
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

    private static String url(int node) {
        return cluster.get(node - 1).url().toString();
    }

    @Test
    void aTagWrittenThroughOneNodeIsReadThroughALaggingFollowerWhenTheReadCarriesTheWritesIndex() throws Exception {
        Path src = Files.createDirectories(dir.resolve("src"));
        Files.writeString(src.resolve("hello"), "written through another node\n");
        String store = dir.resolve("layers").toString();
        // The lagging node is a follower (a suspended leader would first cost an election), the writer another node.
        int lagging = cluster.get(2).isLeader() ? 2 : 3;
        int writer = lagging == 3 ? 1 : 3;
        ImagedNode behind = cluster.get(lagging - 1);

        behind.suspend(); // applies nothing while the others commit the push
        CompletableFuture<Run> waiting;
        long index;
        try {
            Run push = run("push", "--server", url(writer), src.toString(), "ryw/app:1");
            assertEquals(0, push.exit(), push.err());
            Matcher m = Pattern.compile(" at index (\\d+)$").matcher(push.out().strip());
            assertTrue(m.find(), "push prints the index its write committed at: " + push.out());
            index = Long.parseLong(m.group(1));
            // A local read carrying the index, sent while the follower is still behind...
            waiting = CompletableFuture.supplyAsync(() -> run("pull", "--server", url(lagging), "--consistency=local",
                    "--min-index", Long.toString(index), "--store", store, "ryw/app:1"));
            Thread.sleep(1000);
        } finally {
            behind.resume();
        }
        // ...is answered once the follower has applied the push (as it wakes, it is behind the leader).
        Run pull = waiting.get(60, TimeUnit.SECONDS);
        assertEquals(0, pull.exit(), pull.err());
        assertTrue(pull.out().startsWith("pulled ryw/app:1 sha256:"), pull.out());
        String layer = pull.out().strip().lines().reduce((a, b) -> b).orElseThrow();
        assertEquals("written through another node\n", Files.readString(Path.of(layer.split("=")[0], "hello")));

        Run status = run("cluster", "status", "--server", url(lagging), "--consistency=local", "--min-index", Long.toString(index), "--json");
        assertEquals(0, status.exit(), status.err());
        assertTrue(status.out().contains("\"reportedBy\" : \"n" + lagging + "\""), "a local status is the node's own view: " + status.out());

        Run lease = run("lease", "acquire", "ryw.one", "--ttl", "60s", "--holder", "h", "--server", url(writer));
        Matcher t = Pattern.compile("token (\\d+)").matcher(lease.out());
        assertTrue(t.find(), lease.out() + lease.err());
        Run check = run("lease", "check", "ryw.one", "--token", t.group(1), "--server", url(lagging), "--consistency=local",
                "--min-index", t.group(1));
        assertEquals(0, check.exit(), check.err());
    }

    @Test
    void aReadAskingForAnIndexTheNodeHasNotReachedIsRefusedAfterABoundedWait() {
        long start = System.nanoTime();
        Run r = run("cluster", "status", "--server", url(2), "--consistency=local", "--min-index", "999999999");
        long waited = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
        assertEquals(1, r.exit());
        assertTrue(r.err().contains("node n2 has applied index ") && r.err().contains(", not yet the requested Imaged-Min-Index 999999999"),
                r.err());
        assertTrue(waited >= 9 && waited < 60, "bounded wait: " + waited + " s");
        Run bad = run("pull", "--server", url(2), "--consistency=fresh", "ryw/app:1");
        assertEquals(2, bad.exit());
        assertEquals("imaged: --consistency fresh is neither linearizable nor local\n", bad.err());
    }
}
