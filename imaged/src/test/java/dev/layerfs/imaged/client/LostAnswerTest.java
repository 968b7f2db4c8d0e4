package dev.layerfs.imaged.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.layerfs.imaged.layer.LayerPacker;
import dev.layerfs.imaged.layer.LayerStore;
import dev.layerfs.imaged.layer.SampleTree;
import dev.layerfs.imaged.layer.TreeSnapshot;
import dev.layerfs.imaged.oci.Digest;
import dev.layerfs.imaged.testing.AnswerDroppingProxy;
import dev.layerfs.imaged.testing.ImagedProcess;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.function.Predicate;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The answer to the PUT that completes an upload is lost on the way back, after the registry
 * stored the blob: HttpURLConnection sends the PUT again, and the push must still succeed,
 * because the blob is there. The reference registry no longer knows the session by then (404);
 * imaged answers the repeated PUT as it answered the first.
 */
class LostAnswerTest {

    private static final Predicate<String> COMPLETING_PUT = line -> line.startsWith("PUT ") && line.contains("digest=");

    @TempDir
    Path tmp;

    /** The registry under test, a real process either way. */
    enum Kind { REFERENCE, IMAGED }

    /** A running registry and where it answers; closing stops it. */
    private record Registry(String address, AutoCloseable process) implements AutoCloseable {
        @Override
        public void close() throws Exception {
            process.close();
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    @Timeout(150)
    void aPushWhoseCompletingAnswerIsLostSucceedsAndTheImagePulls(Kind kind) throws Exception {
        try (Registry registry = start(kind); AnswerDroppingProxy proxy = new AnswerDroppingProxy(registry.address(), COMPLETING_PUT)) {
            Path tree = SampleTree.rich(tmp.resolve("tree"));
            Path tar = tmp.resolve("layer.tar.gz");
            new LayerPacker().pack(tree, tar);

            RegistryClient viaProxy = new RegistryClient(URI.create("http://" + proxy.address()));
            new ImagePusher(viaProxy, Progress.silent()).push(tar, ImageRef.parse("lxc/app:1"), Optional.empty());

            assertTrue(proxy.lostOne(), "the proxy lost an answer: " + proxy.requestLines());
            assertEquals(3, completingPuts(proxy).size(),
                    "the layer's completing PUT twice (its first answer lost), then the config's: " + proxy.requestLines());
            RegistryClient direct = new RegistryClient(URI.create("http://" + registry.address()));
            PulledImage pulled = new ImagePuller(direct, new LayerStore(tmp.resolve("store")), Progress.silent())
                    .pull(ImageRef.parse("lxc/app:1"));
            assertEquals(TreeSnapshot.of(tree), TreeSnapshot.of(pulled.layersTopFirst().get(0)));
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    @Timeout(150)
    void aChunkedUploadWhoseCompletingAnswerIsLostLeavesTheBlobStored(Kind kind) throws Exception {
        try (Registry registry = start(kind); AnswerDroppingProxy proxy = new AnswerDroppingProxy(registry.address(), COMPLETING_PUT)) {
            byte[] blob = new byte[200_000];
            new Random(11).nextBytes(blob);
            Digest digest = Digest.of(blob);

            RegistryClient viaProxy = new RegistryClient(URI.create("http://" + proxy.address()), 64 * 1024);
            viaProxy.uploadBlob("lxc/data", digest, blob.length, () -> new ByteArrayInputStream(blob), Progress.silent());

            assertTrue(proxy.lostOne(), "the proxy lost an answer: " + proxy.requestLines());
            assertEquals(2, completingPuts(proxy).size(), "the lost PUT was sent again: " + proxy.requestLines());
            RegistryClient direct = new RegistryClient(URI.create("http://" + registry.address()));
            assertEquals(Optional.of((long) blob.length), direct.blobSize("lxc/data", digest));
            try (InputStream in = direct.openBlob("lxc/data", digest)) {
                assertArrayEquals(blob, in.readAllBytes());
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    @Timeout(150)
    void aWholeBlobPutWhoseAnswerIsLostIsNotAnError(Kind kind) throws Exception {
        try (Registry registry = start(kind); AnswerDroppingProxy proxy = new AnswerDroppingProxy(registry.address(), COMPLETING_PUT)) {
            byte[] blob = new byte[50_000];
            new Random(12).nextBytes(blob);
            Digest digest = Digest.of(blob);

            RegistryClient viaProxy = new RegistryClient(URI.create("http://" + proxy.address()));
            viaProxy.uploadBlob("lxc/data", digest, blob.length, () -> new ByteArrayInputStream(blob), Progress.silent());

            assertTrue(proxy.lostOne(), "the proxy lost an answer: " + proxy.requestLines());
            assertEquals(1, completingPuts(proxy).size(), "a streamed PUT is not sent again: " + proxy.requestLines());
            RegistryClient direct = new RegistryClient(URI.create("http://" + registry.address()));
            try (InputStream in = direct.openBlob("lxc/data", digest)) {
                assertArrayEquals(blob, in.readAllBytes());
            }
        }
    }

    private Registry start(Kind kind) throws Exception {
        if (kind == Kind.REFERENCE) {
            DockerRegistry reference = DockerRegistry.start(tmp.resolve("reference"));
            return new Registry(reference.hostPort(), reference);
        }
        ImagedProcess node = new ImagedProcess("n1", "n1=127.0.0.1:" + ImagedProcess.freePort(), ImagedProcess.freePort(),
                tmp.resolve("n1"), List.of());
        node.start().awaitHttp(Duration.ofSeconds(60));
        return new Registry(node.httpAddress(), node);
    }

    private static List<String> completingPuts(AnswerDroppingProxy proxy) {
        return proxy.requestLines().stream().filter(COMPLETING_PUT).toList();
    }
}
