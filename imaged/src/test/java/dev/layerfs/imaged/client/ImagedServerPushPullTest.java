package dev.layerfs.imaged.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.layerfs.imaged.layer.LayerStore;
import dev.layerfs.imaged.layer.SampleTree;
import dev.layerfs.imaged.layer.TreeSnapshot;
import dev.layerfs.imaged.testing.ImagedProcess;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Our client against our own registry: a one-node imaged as a separate process. */
class ImagedServerPushPullTest {

    @TempDir
    Path tmp;

    @Test
    @Timeout(150)
    void pushAndPullThroughImagedKeepTheTreeAndStackLayers() throws Exception {
        int raft = ImagedProcess.freePort();
        try (ImagedProcess node = new ImagedProcess("n1", "n1=127.0.0.1:" + raft, ImagedProcess.freePort(),
                tmp.resolve("n1"), List.of())) {
            node.start().awaitHttp(Duration.ofSeconds(60));
            RegistryClient client = new RegistryClient(URI.create("http://" + node.httpAddress()), 64 * 1024);
            ImagePusher pusher = new ImagePusher(client, Progress.silent());

            Path base = SampleTree.rich(tmp.resolve("base"));
            byte[] random = new byte[400_000];
            new Random(7).nextBytes(random);
            Files.write(base.resolve("random.bin"), random); // big enough for chunked upload
            pusher.push(base, ImageRef.parse("lxc/base:1"), Optional.empty());
            Path delta = tmp.resolve("delta");
            SampleTree.write(delta.resolve("etc/.wh.motd"), "");
            SampleTree.write(delta.resolve("srv/app"), "v2\n");
            PushResult app = pusher.push(delta, ImageRef.parse("lxc/app:2"), Optional.of(ImageRef.parse("lxc/base:1")));
            assertEquals(2, app.manifest().layers().size());

            PulledImage pulled = new ImagePuller(client, new LayerStore(tmp.resolve("store")), Progress.silent())
                    .pull(ImageRef.parse("lxc/app:2"));

            List<Path> dirs = pulled.layersTopFirst();
            assertEquals(dirs.get(0) + "=ro:" + dirs.get(1) + "=ro", pulled.branchLine());
            assertEquals(TreeSnapshot.of(delta), TreeSnapshot.of(dirs.get(0)));
            assertEquals(TreeSnapshot.of(base), TreeSnapshot.of(dirs.get(1)));
            assertEquals(app.manifestDigest(), pulled.manifestDigest());
            assertEquals(List.of("2"), client.tags("lxc/app"));
            RegistryException unknown = assertThrows(RegistryException.class,
                    () -> client.getManifest("lxc/app", "nope"));
            assertEquals("MANIFEST_UNKNOWN", unknown.code());
        }
    }
}
