package dev.layerfs.imaged.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.layerfs.imaged.layer.Commands;
import dev.layerfs.imaged.layer.LayerPacker;
import dev.layerfs.imaged.layer.LayerStore;
import dev.layerfs.imaged.layer.PackedLayer;
import dev.layerfs.imaged.layer.SampleTree;
import dev.layerfs.imaged.layer.TreeSnapshot;
import dev.layerfs.imaged.oci.Descriptor;
import dev.layerfs.imaged.oci.Digest;
import dev.layerfs.imaged.oci.ImageConfig;
import dev.layerfs.imaged.oci.Manifest;
import dev.layerfs.imaged.oci.MediaTypes;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Push and pull against a real OCI registry process (distribution's docker-registry) on loopback. */
@Timeout(120)
class PushPullTest {

    @TempDir
    static Path registryDir;
    static DockerRegistry registry;

    @TempDir
    Path tmp;

    @BeforeAll
    static void startRegistry() throws Exception {
        registry = DockerRegistry.start(registryDir);
    }

    @AfterAll
    static void stopRegistry() throws Exception {
        if (registry != null) {
            registry.close();
        }
    }

    private RegistryClient client() {
        return new RegistryClient(registry.url());
    }

    private PushResult push(Path source, String ref, String base) throws IOException {
        return new ImagePusher(client(), Progress.silent())
                .push(source, ImageRef.parse(ref), Optional.ofNullable(base).map(ImageRef::parse));
    }

    private PulledImage pull(String ref, Path store) throws IOException {
        return new ImagePuller(client(), new LayerStore(store), Progress.silent()).pull(ImageRef.parse(ref));
    }

    @Test
    void aPushedDirectoryPullsBackAsTheSameTree() throws IOException {
        Path source = SampleTree.rich(tmp.resolve("rootfs"));
        PushResult pushed = push(source, "demo/rootfs:v1", null);

        Path store = tmp.resolve("store");
        PulledImage pulled = pull("demo/rootfs:v1", store);

        assertEquals(1, pulled.layersTopFirst().size());
        Path layerDir = pulled.layersTopFirst().get(0);
        assertEquals(store.resolve("sha256").resolve(pushed.manifest().layers().get(0).parsedDigest().hex()), layerDir);
        assertEquals(layerDir + "=ro", pulled.branchLine());
        assertEquals(TreeSnapshot.of(source), TreeSnapshot.of(layerDir));
        assertEquals(pushed.manifestDigest(), pulled.manifestDigest());
        assertTrue(client().tags("demo/rootfs").contains("v1"));
    }

    @Test
    void pushingTheSameTreeTwiceGivesTheSameManifestDigest() throws IOException {
        Path source = tmp.resolve("same");
        SampleTree.write(source.resolve("etc/hostname"), "same\n");
        PushResult first = push(source, "demo/same:a", null);
        PushResult second = push(source, "demo/same:b", null);
        assertEquals(first.manifestDigest(), second.manifestDigest());
        assertEquals(List.of("a", "b"), client().tags("demo/same").stream().sorted().toList());
    }

    @Test
    void tagsAreListedAcrossPages() throws IOException {
        Path source = tmp.resolve("src");
        SampleTree.write(source.resolve("f"), "tagged\n");
        for (String tag : List.of("a", "b", "c")) {
            push(source, "demo/paged:" + tag, null);
        }
        assertEquals(List.of("a", "b", "c"), client().tags("demo/paged", 1).stream().sorted().toList());
    }

    @Test
    void anIndexResolvesToItsLinuxAmd64Image() throws IOException {
        Path amd = tmp.resolve("amd");
        SampleTree.write(amd.resolve("arch"), "amd64\n");
        Path arm = tmp.resolve("arm");
        SampleTree.write(arm.resolve("arch"), "arm64\n");
        PushResult amdImage = push(amd, "demo/multi:amd64", null);
        PushResult armImage = push(arm, "demo/multi:arm64", null);
        String index = "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_INDEX + "\",\"manifests\":["
                + entry(armImage, "arm64") + "," + entry(amdImage, "amd64") + "]}";
        client().putManifest("demo/multi", "latest", index.getBytes(), MediaTypes.OCI_INDEX);

        PulledImage pulled = pull("demo/multi:latest", tmp.resolve("store"));

        assertEquals(amdImage.manifestDigest(), pulled.manifestDigest());
        assertEquals("amd64\n", Files.readString(pulled.layersTopFirst().get(0).resolve("arch")));

        String armOnly = "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_INDEX + "\",\"manifests\":[" + entry(armImage, "arm64") + "]}";
        client().putManifest("demo/multi", "arm-only", armOnly.getBytes(), MediaTypes.OCI_INDEX);
        IOException none = assertThrows(IOException.class, () -> pull("demo/multi:arm-only", tmp.resolve("store")));
        assertTrue(none.getMessage().contains("no linux/amd64"), none.getMessage());
    }

    private static String entry(PushResult image, String arch) {
        return "{\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"digest\":\"" + image.manifestDigest() + "\",\"size\":"
                + image.manifest().toJson().length + ",\"platform\":{\"architecture\":\"" + arch + "\",\"os\":\"linux\"}}";
    }

    @Test
    void aLayerAlreadyInTheStoreIsNotDownloadedAgain() throws Exception {
        Path source = tmp.resolve("src");
        SampleTree.write(source.resolve("f"), "once\n");
        PushResult pushed = push(source, "demo/cached:v1", null);
        Path store = tmp.resolve("store");
        PulledImage first = pull("demo/cached:v1", store);

        // Remove the layer blob from the registry: a second pull can only succeed from the store.
        Digest layer = pushed.manifest().layers().get(0).parsedDigest();
        HttpResponse<Void> deleted = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                registry.url().resolve("/v2/demo/cached/blobs/" + layer)).DELETE().build(), HttpResponse.BodyHandlers.discarding());
        assertEquals(202, deleted.statusCode());

        PulledImage second = pull("demo/cached:v1", store);
        assertEquals(first.branchLine(), second.branchLine());
        assertEquals("once\n", Files.readString(second.layersTopFirst().get(0).resolve("f")));
    }

    @Test
    void pushWithBaseStacksTheNewLayerOnTopOfTheBaseLayers() throws IOException {
        Path base = tmp.resolve("base");
        SampleTree.write(base.resolve("etc/os-release"), "ID=base\n");
        SampleTree.write(base.resolve("etc/hosts"), "127.0.0.1 localhost\n");
        PushResult baseImage = push(base, "demo/base:1", null);
        Path mid = tmp.resolve("mid");
        SampleTree.write(mid.resolve("usr/bin/app"), "app v1\n");
        push(mid, "demo/mid:1", "demo/base:1");
        Path delta = tmp.resolve("delta");
        SampleTree.write(delta.resolve("etc/.wh.hosts"), "");
        SampleTree.write(delta.resolve("etc/app.conf"), "debug=1\n");

        PushResult top = push(delta, "demo/app:2", "demo/mid:1");

        Manifest m = top.manifest();
        assertEquals(3, m.layers().size());
        assertEquals(baseImage.manifest().layers().get(0), m.layers().get(0), "the base layer stays at the bottom");
        byte[] configJson = client().readSmallBlob("demo/app", m.config().parsedDigest());
        ImageConfig config = ImageConfig.parse(configJson);
        assertEquals(3, config.diffIds().size());
        assertEquals("amd64", config.architecture());
        assertEquals("linux", config.os());

        Path store = tmp.resolve("store");
        PulledImage pulled = pull("demo/app:2", store);
        List<Path> dirs = pulled.layersTopFirst();
        assertEquals(3, dirs.size());
        assertEquals(dirs.get(0) + "=ro:" + dirs.get(1) + "=ro:" + dirs.get(2) + "=ro", pulled.branchLine());
        assertEquals("debug=1\n", Files.readString(dirs.get(0).resolve("etc/app.conf")), "top layer first");
        assertEquals(0, Files.size(dirs.get(0).resolve("etc/.wh.hosts")), "the whiteout arrives as an empty file");
        assertEquals("app v1\n", Files.readString(dirs.get(1).resolve("usr/bin/app")));
        assertEquals("ID=base\n", Files.readString(dirs.get(2).resolve("etc/os-release")), "base layer last");
        for (Descriptor d : m.layers()) {
            assertEquals(d.size(), client().blobSize("demo/app", d.parsedDigest()).orElseThrow(),
                    "every layer is in the new repository (mounted from the base's)");
        }
    }

    @Test
    void layerTarFilesArePushedAsTheyAre() throws IOException {
        Path source = tmp.resolve("src");
        SampleTree.write(source.resolve("opt/tool"), "tool\n");
        Path tar = tmp.resolve("layer.tar");
        Commands.run("tar", "--numeric-owner", "-cf", tar.toString(), "-C", source.toString(), ".");
        PackedLayer gz = new LayerPacker().pack(source, tmp.resolve("layer.tar.gz"));

        PushResult plain = push(tar, "demo/tars:plain", null);
        PushResult gzip = push(gz.file(), "demo/tars:gz", null);

        assertEquals(MediaTypes.OCI_LAYER_TAR, plain.manifest().layers().get(0).mediaType());
        assertEquals(Digest.of(Files.readAllBytes(tar)), plain.manifest().layers().get(0).parsedDigest());
        assertEquals(gz.digest(), gzip.manifest().layers().get(0).parsedDigest());
        Path store = tmp.resolve("store");
        assertEquals("tool\n", Files.readString(pull("demo/tars:plain", store).layersTopFirst().get(0).resolve("opt/tool")));
        assertEquals("tool\n", Files.readString(pull("demo/tars:gz", store).layersTopFirst().get(0).resolve("opt/tool")));
    }

    @Test
    void bigBlobsAreUploadedInChunks() throws IOException {
        Path source = tmp.resolve("big");
        byte[] random = new byte[700_000];
        new Random(42).nextBytes(random);
        Files.createDirectories(source);
        Files.write(source.resolve("random.bin"), random);
        RegistryClient chunky = new RegistryClient(registry.url(), 64 * 1024);
        CountingProgress progress = new CountingProgress();
        PushResult pushed = new ImagePusher(chunky, progress).push(source, ImageRef.parse("demo/big:v1"), Optional.empty());
        Descriptor layer = pushed.manifest().layers().get(0);
        assertTrue(layer.size() > 10 * 64 * 1024, "the layer needs many chunks: " + layer.size());
        assertTrue(progress.bytes >= layer.size(), "progress saw every byte: " + progress.bytes);

        PulledImage pulled = pull("demo/big:v1", tmp.resolve("store"));
        assertEquals(Digest.of(random), Digest.of(Files.readAllBytes(pulled.layersTopFirst().get(0).resolve("random.bin"))));
    }

    @Test
    void skopeoCopiesTheImageWePushed() throws IOException {
        assumeTrue(Commands.available("skopeo"), "SKIPPED LOUDLY: skopeo is not installed; cannot prove a standard client reads our images");
        Path source = SampleTree.rich(tmp.resolve("rootfs"));
        PushResult pushed = push(source, "demo/skopeo:v1", null);
        Path policy = tmp.resolve("policy.json");
        Files.writeString(policy, "{\"default\":[{\"type\":\"insecureAcceptAnything\"}]}");
        Path oci = tmp.resolve("oci");

        Commands.run("skopeo", "--policy", policy.toString(), "copy", "--src-tls-verify=false",
                "docker://" + registry.hostPort() + "/demo/skopeo:v1", "oci:" + oci + ":v1");

        List<Path> blobs;
        try (Stream<Path> s = Files.list(oci.resolve("blobs/sha256"))) {
            blobs = s.toList();
        }
        for (Path blob : blobs) {
            try (InputStream in = Files.newInputStream(blob)) {
                assertEquals(blob.getFileName().toString(), Digest.of(in).hex(), "blob content matches its name");
            }
        }
        List<String> names = blobs.stream().map(p -> "sha256:" + p.getFileName()).toList();
        assertTrue(names.contains(pushed.manifestDigest().toString()), "our manifest, byte-identical: " + names);
        assertTrue(names.contains(pushed.manifest().config().digest()), "our config");
        assertTrue(names.contains(pushed.manifest().layers().get(0).digest()), "our layer");

        // And the other way: an image skopeo writes in Docker's format pulls back as the same tree.
        Commands.run("skopeo", "--policy", policy.toString(), "copy", "--dest-tls-verify=false", "--format", "v2s2",
                "oci:" + oci + ":v1", "docker://" + registry.hostPort() + "/demo/from-skopeo:v1");
        RegistryClient.FetchedManifest docker = client().getManifest("demo/from-skopeo", "v1");
        assertEquals(MediaTypes.DOCKER_MANIFEST_V2, docker.mediaType());
        PulledImage pulled = pull("demo/from-skopeo:v1", tmp.resolve("store"));
        assertEquals(TreeSnapshot.of(source), TreeSnapshot.of(pulled.layersTopFirst().get(0)));
    }

    @Test
    void pullingAnUnknownImageFailsWithTheRegistryCodeAndStoresNothing() throws IOException {
        Path store = tmp.resolve("store");
        RegistryException e = assertThrows(RegistryException.class, () -> pull("demo/nothing:v9", store));
        assertEquals("MANIFEST_UNKNOWN", e.code());
        assertEquals(404, e.status());
        assertTrue(e.isNotFound());
        assertTrue(e.getMessage().contains("demo/nothing:v9"), e.getMessage());
        assertFalse(Files.exists(store.resolve("sha256")) && Files.list(store.resolve("sha256")).findAny().isPresent());
    }

    @Test
    void aTamperedBlobOnTheRegistryIsRefusedAndNothingIsStored() throws IOException {
        Path source = tmp.resolve("src");
        SampleTree.write(source.resolve("etc/passwd"), "root:x:0:0::/root:/bin/sh\n");
        PushResult pushed = push(source, "demo/tampered:v1", null);
        Digest layer = pushed.manifest().layers().get(0).parsedDigest();
        Path blob = registry.blobFile(layer);
        byte[] bytes = Files.readAllBytes(blob);
        bytes[bytes.length / 2] ^= 0x01;
        Files.write(blob, bytes);

        Path store = tmp.resolve("store");
        IOException e = assertThrows(IOException.class, () -> pull("demo/tampered:v1", store));
        assertTrue(e.getMessage().contains("has digest") && e.getMessage().contains("expected " + layer), e.getMessage());
        try (Stream<Path> s = Files.list(store.resolve("sha256"))) {
            assertEquals(List.of("." + layer.hex() + ".lock"), s.map(p -> p.getFileName().toString()).toList(),
                    "no layer directory and no temp leftovers");
        }
    }

    @Test
    void aTamperedPlainTarLayerUnpacksFullyYetIsRefusedAtTheEndAndNothingIsStored() throws IOException {
        Path source = tmp.resolve("src");
        SampleTree.write(source.resolve("data/big"), "x".repeat(200_000));
        Path tar = tmp.resolve("layer.tar");
        Commands.run("tar", "--numeric-owner", "-cf", tar.toString(), "-C", source.toString(), ".");
        PushResult pushed = push(tar, "demo/tampered-plain:v1", null);
        Digest layer = pushed.manifest().layers().get(0).parsedDigest();
        Path blob = registry.blobFile(layer);
        byte[] bytes = Files.readAllBytes(blob);
        int at = new String(bytes, java.nio.charset.StandardCharsets.ISO_8859_1).indexOf("xxxxxxxx") + 1000;
        bytes[at] = 'y'; // still a well-formed tar: only the digest can tell
        Files.write(blob, bytes);

        Path store = tmp.resolve("store");
        IOException e = assertThrows(IOException.class, () -> pull("demo/tampered-plain:v1", store));
        assertTrue(e.getMessage().contains("has digest") && e.getMessage().contains("expected " + layer), e.getMessage());
        try (Stream<Path> s = Files.list(store.resolve("sha256"))) {
            assertEquals(List.of("." + layer.hex() + ".lock"), s.map(p -> p.getFileName().toString()).toList(),
                    "no layer directory and no temp leftovers");
        }
    }

    @Test
    void aStreamedFileUploadWithTheWrongDigestStoresNothing() throws IOException {
        Path file = tmp.resolve("blob.bin");
        byte[] content = new byte[3 << 20];
        new Random(7).nextBytes(content);
        Files.write(file, content);
        Digest wrong = Digest.of("something else".getBytes());
        RegistryClient c = client();
        RegistryException e = assertThrows(RegistryException.class,
                () -> c.uploadBlob("demo/streamed", wrong, content.length, RegistryClient.BlobSource.ofFile(file), Progress.silent()));
        assertEquals("DIGEST_INVALID", e.code());
        assertEquals(Optional.empty(), c.blobSize("demo/streamed", wrong));
        assertEquals(Optional.empty(), c.blobSize("demo/streamed", Digest.of(content)));

        long[] counted = {0};
        c.uploadBlob("demo/streamed", Digest.of(content), content.length, RegistryClient.BlobSource.ofFile(file), new Progress() {
            @Override
            public void start(String label, long total) {
            }

            @Override
            public void advance(long bytes) {
                counted[0] += bytes;
            }

            @Override
            public void finish(String outcome) {
            }
        });
        assertEquals(Optional.of((long) content.length), c.blobSize("demo/streamed", Digest.of(content)));
        assertEquals(content.length, counted[0], "progress saw every byte sent");
    }

    @Test
    void registryErrorsCarryTheOciErrorCode() throws IOException {
        RegistryClient c = client();
        byte[] content = "some blob".getBytes();
        Digest wrong = Digest.of("other".getBytes());
        RegistryException digestInvalid = assertThrows(RegistryException.class,
                () -> c.uploadBlob("demo/errors", wrong, content.length, () -> new java.io.ByteArrayInputStream(content), Progress.silent()));
        assertEquals("DIGEST_INVALID", digestInvalid.code());
        assertEquals(Optional.empty(), c.blobSize("demo/errors", wrong));

        Descriptor missing = new Descriptor(MediaTypes.OCI_CONFIG, Digest.of("absent".getBytes()), 6);
        byte[] manifest = Manifest.oci(missing, List.of()).toJson();
        RegistryException blobUnknown = assertThrows(RegistryException.class,
                () -> c.putManifest("demo/errors", "v1", manifest, MediaTypes.OCI_MANIFEST));
        assertEquals("MANIFEST_BLOB_UNKNOWN", blobUnknown.code());
    }

    @Test
    void badInputIsReportedBeforeAnythingIsStored() throws IOException {
        Path missing = tmp.resolve("no-such-dir");
        NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> push(missing, "demo/bad:v1", null));
        assertTrue(e.getMessage().contains(missing.toString()));
        Path source = tmp.resolve("src");
        SampleTree.write(source.resolve("f"), "x");
        RegistryException unknownBase = assertThrows(RegistryException.class, () -> push(source, "demo/bad:v1", "demo/nobase:1"));
        assertEquals("MANIFEST_UNKNOWN", unknownBase.code());
        IllegalArgumentException byDigest = assertThrows(IllegalArgumentException.class,
                () -> push(source, "demo/bad@sha256:" + "a".repeat(64), null));
        assertTrue(byDigest.getMessage().contains("must name a tag"), byDigest.getMessage());
        Path notATar = tmp.resolve("notes.txt");
        Files.writeString(notATar, "just text, not a tar archive at all");
        IOException notTar = assertThrows(IOException.class, () -> push(notATar, "demo/bad:v1", null));
        assertTrue(notTar.getMessage().contains(notATar.toString()), notTar.getMessage());
        Path hostile = tmp.resolve("hostile.tar");
        Files.write(hostile, new dev.layerfs.imaged.layer.RawTar().file("ok", new byte[1]).file("../../etc/cron.d/evil", new byte[1]).finish());
        dev.layerfs.imaged.layer.LayerRefusedException refused = assertThrows(dev.layerfs.imaged.layer.LayerRefusedException.class,
                () -> push(hostile, "demo/bad:v1", null));
        assertEquals("../../etc/cron.d/evil", refused.entry());
        assertThrows(RegistryException.class, () -> client().tags("demo/bad"), "no repository was created");
    }

    @Test
    void aLayerTarRefusedAfterMegabytesWereSentStoresNothing() throws IOException {
        // The tar goes up while it is checked: a hostile entry after 3 MB is found mid-upload.
        byte[] filler = new byte[3 << 20];
        new Random(7).nextBytes(filler);
        Path tar = tmp.resolve("late-hostile.tar");
        Files.write(tar, new dev.layerfs.imaged.layer.RawTar().file("big.bin", filler).file("../escape", new byte[1]).finish());

        dev.layerfs.imaged.layer.LayerRefusedException refused = assertThrows(dev.layerfs.imaged.layer.LayerRefusedException.class,
                () -> push(tar, "demo/late:v1", null));
        assertEquals("../escape", refused.entry());
        assertTrue(client().blobSize("demo/late", Digest.of(Files.readAllBytes(tar))).isEmpty(), "no blob was stored");
        assertThrows(RegistryException.class, () -> client().tags("demo/late"), "no repository was created");

        // and a good tar of the same size pushes whole, every byte counted once by the progress
        Path good = tmp.resolve("good.tar");
        Files.write(good, new dev.layerfs.imaged.layer.RawTar().file("big.bin", filler).file("ok", new byte[1]).finish());
        CountingProgress progress = new CountingProgress();
        PushResult pushed = new ImagePusher(client(), progress).push(good, ImageRef.parse("demo/late:v2"), Optional.empty());
        assertEquals(Digest.of(Files.readAllBytes(good)), pushed.manifest().layers().get(0).parsedDigest());
        assertEquals(Files.size(good) + pushed.manifest().config().size(), progress.bytes,
                "each byte of the tar (and of the config) was sent once");
    }

    @Test
    void anUnreachableRegistryIsNamedInTheError() throws IOException {
        int port = dev.layerfs.imaged.testing.FreePorts.next();
        URI nowhere = URI.create("http://127.0.0.1:" + port);
        Path store = tmp.resolve("store");
        RegistryUnreachableException e = assertThrows(RegistryUnreachableException.class,
                () -> new ImagePuller(new RegistryClient(nowhere), new LayerStore(store), Progress.silent()).pull(ImageRef.parse("x/y:z")));
        assertTrue(e.getMessage().contains(nowhere.toString()), e.getMessage());
        assertFalse(Files.exists(store));
    }

    /** Records how many bytes were reported, to prove progress follows the transfer. */
    static final class CountingProgress implements Progress {
        long bytes;

        @Override
        public void start(String label, long total) {
        }

        @Override
        public void advance(long n) {
            bytes += n;
        }

        @Override
        public void finish(String outcome) {
        }
    }
}
