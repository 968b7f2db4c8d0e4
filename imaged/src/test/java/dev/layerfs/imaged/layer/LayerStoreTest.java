package dev.layerfs.imaged.layer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.layerfs.imaged.oci.Digest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class LayerStoreTest {

    @TempDir
    Path tmp;

    @Test
    @Timeout(60)
    void concurrentPullsOfOneLayerUnpackItOnce() throws Exception {
        PackedLayer layer = packSample();
        LayerStore store = new LayerStore(tmp.resolve("layers"));
        AtomicInteger opened = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<Path>> results = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                results.add(pool.submit(() -> {
                    start.await();
                    return store.ensure(layer.digest(), Optional.of(layer.diffId()), () -> {
                        opened.incrementAndGet();
                        return Files.newInputStream(layer.file());
                    });
                }));
            }
            start.countDown();
            for (Future<Path> r : results) {
                assertEquals(tmp.resolve("layers/sha256/" + layer.digest().hex()), r.get(30, TimeUnit.SECONDS));
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(1, opened.get(), "the layer was downloaded and unpacked exactly once");
        assertEquals("data\n", Files.readString(store.find(layer.digest()).orElseThrow().resolve("f")));
    }

    @Test
    @Timeout(60)
    void aHalfUnpackedLayerIsNeverVisibleAndAFailedOneLeavesNothing() throws Exception {
        PackedLayer layer = packSample();
        byte[] full = Files.readAllBytes(layer.file());
        LayerStore store = new LayerStore(tmp.resolve("layers"));
        CountDownLatch halfway = new CountDownLatch(1);
        CountDownLatch checked = new CountDownLatch(1);
        InputStream stalling = new InputStream() {
            private final InputStream in = new ByteArrayInputStream(full, 0, full.length / 2);

            @Override
            public int read() throws IOException {
                int b = in.read();
                if (b < 0) {
                    halfway.countDown();
                    await(checked);
                    throw new IOException("connection reset by the registry");
                }
                return b;
            }
        };
        java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();
        Thread puller = new Thread(() -> {
            try {
                store.ensure(layer.digest(), Optional.empty(), () -> stalling);
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        puller.start();
        assertTrue(halfway.await(30, TimeUnit.SECONDS));
        assertEquals(Optional.empty(), store.find(layer.digest()), "half-unpacked layer is not visible");
        assertFalse(Files.exists(store.pathOf(layer.digest())));
        checked.countDown();
        puller.join(30_000);
        assertTrue(failure.get() instanceof IOException && failure.get().getMessage().contains("connection reset"),
                "the pull failed with the stream's error: " + failure.get());

        assertEquals(Optional.empty(), store.find(layer.digest()));
        try (Stream<Path> s = Files.list(tmp.resolve("layers/sha256"))) {
            assertEquals(List.of("." + layer.digest().hex() + ".lock"), s.map(p -> p.getFileName().toString()).toList(),
                    "only the lock file remains");
        }
        Path dir = store.ensure(layer.digest(), Optional.of(layer.diffId()), () -> Files.newInputStream(layer.file()));
        assertEquals("data\n", Files.readString(dir.resolve("f")), "the next pull succeeds");
    }

    @Test
    void leftoversOfAnUnpackThatDiedWithItsProcessAreCleanedUp() throws IOException {
        PackedLayer layer = packSample();
        LayerStore store = new LayerStore(tmp.resolve("layers"));
        Path leftover = Files.createDirectories(tmp.resolve("layers/sha256/." + layer.digest().hex() + ".unpack-123/half"));
        store.ensure(layer.digest(), Optional.empty(), () -> Files.newInputStream(layer.file()));
        assertFalse(Files.exists(leftover.getParent()));
        assertTrue(store.find(layer.digest()).isPresent());
    }

    @Test
    void aPresentLayerIsNotOpenedAgain() throws IOException {
        PackedLayer layer = packSample();
        LayerStore store = new LayerStore(tmp.resolve("layers"));
        store.ensure(layer.digest(), Optional.empty(), () -> Files.newInputStream(layer.file()));
        Path again = store.ensure(layer.digest(), Optional.empty(), () -> {
            throw new AssertionError("must not download a layer the store has");
        });
        assertEquals(store.pathOf(layer.digest()), again);
        assertEquals(Optional.empty(), store.find(Digest.of(new byte[0])));
    }

    private PackedLayer packSample() throws IOException {
        Path src = tmp.resolve("src");
        SampleTree.write(src.resolve("f"), "data\n");
        return new LayerPacker().pack(src, tmp.resolve("layer.tar.gz"));
    }

    private static void await(CountDownLatch latch) throws IOException {
        try {
            latch.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }
}
