package dev.layerfs.imaged.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.layerfs.imaged.meta.Json;
import dev.layerfs.imaged.oci.Digest;
import dev.layerfs.imaged.testing.ImagedProcess;
import dev.layerfs.imaged.testing.RegistryClient;
import dev.layerfs.imaged.testing.RegistryClient.Image;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A one-node registry as its own process: restarts keep everything; skopeo round-trips through it. */
class SingleNodeTest {

    @TempDir
    Path dir;

    private ImagedProcess node(Path data) {
        int raft = ImagedProcess.freePort();
        return new ImagedProcess("n1", "n1=127.0.0.1:" + raft, ImagedProcess.freePort(), data, List.of());
    }

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void restartKeepsBlobsManifestsAndTags() throws Exception {
        try (ImagedProcess n1 = node(dir.resolve("n1"))) {
            n1.start().awaitHttp(Duration.ofSeconds(60));
            RegistryClient c = n1.client();
            List<Image> pushed = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                pushed.add(c.pushImage("lib/app", "v" + i, random(50_000 + i, i)));
            }
            // A manifest just under the 4 MiB limit travels through the Raft log too.
            byte[] big = bigManifest(pushed.get(0));
            assertEquals(201, c.pushManifest("lib/app", "big", "application/vnd.oci.image.manifest.v1+json", big));
            int exit = n1.stop();
            assertTrue(exit == 143 || exit == 0, "SIGTERM ends the JVM normally, got exit " + exit);
            assertTrue(n1.log().contains("node n1: stopped"), "the shutdown hook closed the node cleanly");

            n1.start().awaitHttp(Duration.ofSeconds(60));
            for (Image image : pushed) {
                assertArrayEquals(image.manifest(), c.get("/v2/lib/app/manifests/" + image.tag()).body());
                assertArrayEquals(image.layer(), c.get("/v2/lib/app/blobs/" + Digest.of(image.layer())).body());
            }
            assertArrayEquals(big, c.get("/v2/lib/app/manifests/big").body());
            String tags = Json.MAPPER.readTree(c.get("/v2/lib/app/tags/list").body()).get("tags").toString();
            assertEquals("[\"big\",\"v0\",\"v1\",\"v2\"]", tags);
            assertTrue(n1.log().contains("(RECOVER)"), "the restart recovered the existing Raft storage");
            c.pushImage("lib/app", "after-restart", random(10, 99));
            assertEquals(200, c.get("/v2/lib/app/manifests/after-restart").statusCode());
        }
    }

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void skopeoCopiesToAndFromTheRegistryByteIdentical() throws Exception {
        Assumptions.assumeTrue(onPath("skopeo"), "skopeo is not installed: the skopeo round trip cannot run here");
        Path source = dir.resolve("source");
        OciDir.write(source, random(200_000, 7));
        try (ImagedProcess n1 = node(dir.resolve("n1"))) {
            n1.start().awaitHttp(Duration.ofSeconds(60));
            String ref = "docker://" + n1.httpAddress() + "/lib/skopeo-test:v1";
            run("skopeo", "copy", "--dest-tls-verify=false", "dir:" + source, ref);
            Path back = dir.resolve("back");
            run("skopeo", "copy", "--src-tls-verify=false", ref, "dir:" + back);
            for (String name : OciDir.files(source)) {
                assertArrayEquals(Files.readAllBytes(source.resolve(name)), Files.readAllBytes(back.resolve(name)),
                        name + " differs after the round trip");
            }
            Path layout = dir.resolve("layout");
            run("skopeo", "copy", "--src-tls-verify=false", ref, "oci:" + layout + ":v1");
            run("skopeo", "copy", "--dest-tls-verify=false", "oci:" + layout + ":v1",
                    "docker://" + n1.httpAddress() + "/lib/from-oci:v1");
            assertArrayEquals(Files.readAllBytes(source.resolve("manifest.json")),
                    n1.client().get("/v2/lib/from-oci/manifests/v1").body());
        }
    }

    /** The image's manifest with an annotation that brings it to just under 4 MiB. */
    private static byte[] bigManifest(Image image) throws IOException {
        com.fasterxml.jackson.databind.node.ObjectNode m = (com.fasterxml.jackson.databind.node.ObjectNode) Json.MAPPER.readTree(image.manifest());
        m.putObject("annotations").put("padding", "x".repeat(Registry.MAX_MANIFEST_BYTES - image.manifest().length - 100));
        byte[] big = Json.MAPPER.writeValueAsBytes(m);
        assertTrue(big.length <= Registry.MAX_MANIFEST_BYTES && big.length > Registry.MAX_MANIFEST_BYTES - 200);
        return big;
    }

    static boolean onPath(String tool) {
        for (String p : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (Files.isExecutable(Path.of(p, tool))) {
                return true;
            }
        }
        return false;
    }

    static void run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new AssertionError(String.join(" ", cmd) + " failed:\n" + out);
        }
    }
}
