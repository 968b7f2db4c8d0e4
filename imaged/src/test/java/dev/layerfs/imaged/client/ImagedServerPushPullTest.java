package dev.layerfs.imaged.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.layerfs.imaged.layer.LayerPacker;
import dev.layerfs.imaged.layer.LayerStore;
import dev.layerfs.imaged.layer.PackedLayer;
import dev.layerfs.imaged.layer.SampleTree;
import dev.layerfs.imaged.layer.TreeSnapshot;
import dev.layerfs.imaged.testing.ImagedProcess;
import java.net.URI;
import java.nio.charset.StandardCharsets;
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

    @Test
    @Timeout(150)
    void aLayerTarPushedBeforeIsNotSentAgainUntilItChanges() throws Exception {
        try (ImagedProcess node = new ImagedProcess("n1", "n1=127.0.0.1:" + ImagedProcess.freePort(), ImagedProcess.freePort(),
                tmp.resolve("n1"), List.of())) {
            node.start().awaitHttp(Duration.ofSeconds(60));
            RegistryClient client = new RegistryClient(URI.create("http://" + node.httpAddress()));
            ImagePusher pusher = new ImagePusher(client, Progress.silent(), LayerDigestCache.in(tmp.resolve("cache")));
            Path tree = tmp.resolve("tree");
            SampleTree.write(tree.resolve("srv/app"), "v1\n");
            Path tar = tmp.resolve("layer.tar.gz");
            PackedLayer packed = new LayerPacker().pack(tree, tar);

            PushResult first = pusher.push(tar, ImageRef.parse("lxc/app:1"), Optional.empty());
            assertEquals(1, uploadBodiesSent(node), "the first push sends the layer");
            PushResult again = pusher.push(tar, ImageRef.parse("lxc/app:2"), Optional.empty());
            PushResult elsewhere = pusher.push(tar, ImageRef.parse("lxc/other:1"), Optional.empty());
            assertEquals(1, uploadBodiesSent(node), "the unchanged tar is not sent again, to its repository or another");
            assertEquals(first.manifestDigest(), again.manifestDigest());
            assertEquals(first.manifestDigest(), elsewhere.manifestDigest());
            assertEquals(packed.digest(), again.manifest().layers().get(0).parsedDigest());
            assertEquals(Optional.of(packed.size()), client.blobSize("lxc/other", packed.digest()));
            PulledImage pulled = new ImagePuller(client, new LayerStore(tmp.resolve("store")), Progress.silent())
                    .pull(ImageRef.parse("lxc/other:1"));
            assertEquals(TreeSnapshot.of(tree), TreeSnapshot.of(pulled.layersTopFirst().get(0)));

            SampleTree.write(tree.resolve("srv/app"), "v2\n");
            PackedLayer changed = new LayerPacker().pack(tree, tmp.resolve("next.tar.gz"));
            Files.move(tmp.resolve("next.tar.gz"), tar, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            PushResult third = pusher.push(tar, ImageRef.parse("lxc/app:3"), Optional.empty());
            assertEquals(2, uploadBodiesSent(node), "a changed tar is sent");
            assertNotEquals(packed.digest(), changed.digest());
            assertEquals(changed.digest(), third.manifest().layers().get(0).parsedDigest());
        }
    }

    /** Layer bodies the node received: PATCHes to upload sessions (the config goes up as one PUT). */
    private static long uploadBodiesSent(ImagedProcess node) throws Exception {
        String metrics = new String(node.client().get("/metrics").body(), StandardCharsets.UTF_8);
        long sent = 0;
        for (String line : metrics.split("\n")) {
            if (line.startsWith("imaged_http_requests_total{") && line.contains("area=\"uploads\",method=\"PATCH\"")) {
                sent += Long.parseLong(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        assertTrue(metrics.contains("imaged_http_requests_total"), metrics);
        return sent;
    }
}
