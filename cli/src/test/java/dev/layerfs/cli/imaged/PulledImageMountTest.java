package dev.layerfs.cli.imaged;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.layerfs.fuse.LayerFuse;
import dev.layerfs.imaged.client.ImagePuller;
import dev.layerfs.imaged.client.ImagePusher;
import dev.layerfs.imaged.client.ImageRef;
import dev.layerfs.imaged.client.Progress;
import dev.layerfs.imaged.client.PulledImage;
import dev.layerfs.imaged.client.RegistryClient;
import dev.layerfs.imaged.layer.LayerStore;
import dev.layerfs.mount.MountOptions;
import dev.layerfs.mount.MountTable;
import dev.layerfs.union.UnionFs;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole loop the design promises: a pulled image's branch line mounts under layerfs as is,
 * and the container's writable branch, pushed with --base, is the next layer of a new image.
 */
class PulledImageMountTest {

    @TempDir
    Path tmp;

    @Test
    @Timeout(120)
    void aContainersWritableBranchPushedOnItsBaseIsTheNextLayer() throws Exception {
        assumeTrue(Files.exists(Path.of("/dev/fuse")), "SKIPPED LOUDLY: /dev/fuse is absent, no layerfs mount possible");
        try (LocalRegistry registry = LocalRegistry.start(Files.createDirectories(tmp.resolve("registry")))) {
            RegistryClient client = new RegistryClient(URI.create(registry.url()));
            ImagePusher pusher = new ImagePusher(client, Progress.silent());
            ImagePuller puller = new ImagePuller(client, new LayerStore(tmp.resolve("store")), Progress.silent());

            Path base = tmp.resolve("base");
            write(base.resolve("etc/motd"), "base motd\n");
            write(base.resolve("etc/hosts"), "127.0.0.1 localhost\n");
            write(base.resolve("usr/bin/tool"), "tool\n");
            pusher.push(base, ImageRef.parse("e2e/base:1"), Optional.empty());
            PulledImage baseImage = puller.pull(ImageRef.parse("e2e/base:1"));

            // A container on the base: delete, modify and create through the union.
            Path delta = Files.createDirectories(tmp.resolve("container/delta"));
            Path mnt = Files.createDirectories(tmp.resolve("container/mnt"));
            try (Mounted m = Mounted.mount(delta + "=rw:" + baseImage.branchLine(), mnt)) {
                assertEquals("base motd\n", Files.readString(mnt.resolve("etc/motd")));
                Files.delete(mnt.resolve("etc/motd"));
                Files.writeString(mnt.resolve("etc/hosts"), "10.0.0.1 db\n", java.nio.file.StandardOpenOption.APPEND);
                write(mnt.resolve("srv/app.conf"), "port=80\n");
            }
            assertTrue(Files.exists(delta.resolve("etc/.wh.motd")), "the delete left a whiteout in the writable branch");
            assertEquals("base motd\n", Files.readString(baseImage.layersTopFirst().get(0).resolve("etc/motd")),
                    "the shared layer was not changed");

            pusher.push(delta, ImageRef.parse("e2e/app:1"), Optional.of(ImageRef.parse("e2e/base:1")));
            PulledImage app = puller.pull(ImageRef.parse("e2e/app:1"));
            assertEquals(2, app.layersTopFirst().size());
            assertEquals(baseImage.layersTopFirst().get(0), app.layersTopFirst().get(1), "the base layer is shared, not unpacked again");

            Path delta2 = Files.createDirectories(tmp.resolve("container2/delta"));
            Path mnt2 = Files.createDirectories(tmp.resolve("container2/mnt"));
            try (Mounted m = Mounted.mount(delta2 + "=rw:" + app.branchLine(), mnt2)) {
                assertFalse(Files.exists(mnt2.resolve("etc/motd")), "the whiteout, pushed as a layer entry, still hides the file");
                assertEquals("127.0.0.1 localhost\n10.0.0.1 db\n", Files.readString(mnt2.resolve("etc/hosts")));
                assertEquals("port=80\n", Files.readString(mnt2.resolve("srv/app.conf")));
                assertEquals("tool\n", Files.readString(mnt2.resolve("usr/bin/tool")));
                try (Stream<Path> etc = Files.list(mnt2.resolve("etc"))) {
                    assertEquals(List.of("hosts"), etc.map(p -> p.getFileName().toString()).sorted().toList());
                }
            }
        }
    }

    private static void write(Path file, String content) throws java.io.IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, content);
    }

    /** A layerfs union served by this JVM; closing unmounts it (lazily, so a failed test leaves nothing mounted). */
    private record Mounted(Path mountPoint, UnionFs union, Thread server) implements AutoCloseable {

        static Mounted mount(String dirs, Path mountPoint) throws Exception {
            MountOptions options = MountOptions.parse(List.of("dirs=" + dirs), Path.of("/"));
            UnionFs union = new UnionFs(options.branches());
            Path real = mountPoint.toRealPath();
            String[] args = options.fuseArgs(true).toArray(String[]::new);
            Thread t = new Thread(() -> new LayerFuse(union).serve(real, false, args), "layerfs-e2e");
            t.setDaemon(true);
            t.start();
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (!MountTable.isMounted(real)) {
                if (!t.isAlive() || System.nanoTime() > deadline) {
                    union.close();
                    throw new IllegalStateException("layerfs mount of " + dirs + " did not come up");
                }
                Thread.sleep(10);
            }
            return new Mounted(real, union, t);
        }

        @Override
        public void close() throws Exception {
            try {
                if (MountTable.isMounted(mountPoint)) {
                    new ProcessBuilder("fusermount", "-u", "-z", mountPoint.toString()).inheritIO().start().waitFor();
                }
                server.join(10_000);
            } finally {
                union.close();
            }
        }
    }
}
