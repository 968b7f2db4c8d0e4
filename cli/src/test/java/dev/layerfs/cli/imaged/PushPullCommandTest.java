package dev.layerfs.cli.imaged;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.layerfs.imaged.testing.FreePorts;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The {@code imaged push} and {@code imaged pull} commands, run as a user runs them: a separate JVM, against a real registry. */
@Timeout(120)
class PushPullCommandTest {

    @TempDir
    static Path registryDir;
    static LocalRegistry registry;
    static String url;

    @TempDir
    Path tmp;

    record Run(int exit, List<String> stdout, String stderr) {
        String lastLine() {
            return stdout.get(stdout.size() - 1);
        }
    }

    @BeforeAll
    static void startRegistry() throws Exception {
        registry = LocalRegistry.start(registryDir);
        url = registry.url();
    }

    @AfterAll
    static void stopRegistry() throws InterruptedException {
        if (registry != null) {
            registry.close();
        }
    }

    @Test
    void pullPrintsTheBranchListTopLayerFirstAsItsLastLine() throws Exception {
        Path base = Files.createDirectories(tmp.resolve("base/etc"));
        Files.writeString(base.resolve("os-release"), "ID=test\n");
        Path delta = Files.createDirectories(tmp.resolve("delta/etc"));
        Files.writeString(delta.resolve("motd"), "hello\n");
        Path store = tmp.resolve("store");

        assertEquals(0, imaged("push", "--server", url, tmp.resolve("base").toString(), "cli/base:1").exit());
        Run push = imaged("push", "--server", url, tmp.resolve("delta").toString(), "cli/app:1", "--base", "cli/base:1");
        assertEquals(0, push.exit(), push.stderr());
        assertTrue(push.lastLine().startsWith("pushed cli/app:1 sha256:"), push.lastLine());

        Run pull = imaged("pull", "--server", url, "--store", store.toString(), "cli/app:1");
        assertEquals(0, pull.exit(), pull.stderr());
        String[] branches = pull.lastLine().split(":");
        assertEquals(2, branches.length, pull.lastLine());
        for (String b : branches) {
            assertTrue(b.startsWith(store.resolve("sha256") + "/") && b.endsWith("=ro"), b);
        }
        Path top = Path.of(branches[0].replace("=ro", ""));
        Path bottom = Path.of(branches[1].replace("=ro", ""));
        assertEquals("hello\n", Files.readString(top.resolve("etc/motd")));
        assertEquals("ID=test\n", Files.readString(bottom.resolve("etc/os-release")));
        assertEquals("", pull.stderr(), "no progress noise when not on a terminal");
    }

    @Test
    void concurrentPullsIntoOneStoreDownloadAndUnpackEachLayerOnce() throws Exception {
        Path src = Files.createDirectories(tmp.resolve("src"));
        byte[] random = new byte[16 << 20];
        new java.util.Random(3).nextBytes(random);
        Files.write(src.resolve("blob.bin"), random);
        Run push = imaged("push", "--server", url, src.toString(), "cli/conc:1");
        assertEquals(0, push.exit(), push.stderr());
        Path store = tmp.resolve("store");

        List<java.util.concurrent.CompletableFuture<Run>> pulls = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            pulls.add(java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    return imaged("pull", "--server", url, "--store", store.toString(), "cli/conc:1");
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }));
        }
        Run first = pulls.get(0).get(90, TimeUnit.SECONDS);
        Run second = pulls.get(1).get(90, TimeUnit.SECONDS);

        assertEquals(0, first.exit(), first.stderr());
        assertEquals(0, second.exit(), second.stderr());
        assertEquals(first.lastLine(), second.lastLine());
        String layer = Path.of(first.lastLine().replace("=ro", "")).getFileName().toString();
        assertEquals(1, registry.requests("GET", "/v2/cli/conc/blobs/sha256:" + layer), "the layer was downloaded once");
        try (java.util.stream.Stream<Path> s = Files.list(store.resolve("sha256"))) {
            assertEquals(List.of("." + layer + ".lock", layer), s.map(p -> p.getFileName().toString()).sorted().toList());
        }
    }

    @Test
    void badInputGetsOneLineNamingTheValueAndStoresNothing() throws Exception {
        Path store = tmp.resolve("store");
        Path src = Files.createDirectories(tmp.resolve("src"));
        Files.writeString(src.resolve("f"), "x");

        assertFails(imaged("pull", "--server", url, "--store", store.toString(), "Bad:Ref"), 2, "'Bad:Ref'");
        assertFails(imaged("push", "--server", url, tmp.resolve("missing").toString(), "cli/x:1"), 2, tmp.resolve("missing").toString());
        assertFails(imaged("pull", "--server", url, "--store", store.toString(), "cli/unknown:1"), 2, "cli/unknown:1");
        assertFails(imaged("push", "--server", url, src.toString(), "cli/x:1", "--base", "cli/nobase:1"), 2, "cli/nobase:1");
        int port = FreePorts.next();
        assertFails(imaged("pull", "--server", "http://127.0.0.1:" + port, "--store", store.toString(), "cli/x:1"), 1, "127.0.0.1:" + port);
        assertFalse(Files.exists(store.resolve("sha256")) && Files.list(store.resolve("sha256")).findAny().isPresent(), "nothing stored");
    }

    private static void assertFails(Run run, int exit, String named) {
        assertEquals(exit, run.exit(), run.stderr());
        assertEquals(1, run.stderr().lines().count(), "one line: " + run.stderr());
        assertTrue(run.stderr().contains(named), run.stderr());
    }

    private static Run imaged(String... args) throws IOException, InterruptedException {
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", cp, "dev.layerfs.cli.ImagedCli"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8).lines().toList(), err);
    }
}
