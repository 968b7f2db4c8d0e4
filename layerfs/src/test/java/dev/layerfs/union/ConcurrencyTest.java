package dev.layerfs.union;

import dev.layerfs.testing.Tree;
import dev.layerfs.testing.UnionCase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Many readers and writers at once, several racing to copy up the same lower file. */
@Timeout(120)
class ConcurrencyTest extends UnionCase {

    private static final int BIG = 16 << 20;
    private byte[] original;

    @Override
    protected void populate() throws Exception {
        original = new byte[BIG];
        for (int i = 0; i < BIG; i++) {
            original[i] = (byte) (i * 31 + (i >> 12));
        }
        Files.createDirectories(base.resolve("var/lib"));
        Files.write(base.resolve("var/lib/big.db"), original);
        for (int i = 0; i < 8; i++) {
            Tree.write(base, "var/lib/small" + i, "line0\n");
        }
    }

    @Test
    void writersRacingToCopyUpTheSameFileEachKeepTheirWriteAndNobodySeesAHalfCopy() throws Exception {
        int writers = 6;
        Path big = m("var/lib/big.db");
        CountDownLatch start = new CountDownLatch(1);
        AtomicBoolean done = new AtomicBoolean();
        AtomicReference<String> torn = new AtomicReference<>();
        ExecutorService pool = Executors.newFixedThreadPool(writers + 2);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                int id = w;
                futures.add(pool.submit(() -> {
                    start.await();
                    // each writer overwrites its own 4 KiB page near the end, past what others touch
                    try (FileChannel ch = FileChannel.open(big, StandardOpenOption.WRITE)) {
                        byte[] page = new byte[4096];
                        Arrays.fill(page, (byte) ('A' + id));
                        ch.write(ByteBuffer.wrap(page), BIG - (long) (id + 1) * 4096);
                    }
                    return null;
                }));
            }
            for (int r = 0; r < 2; r++) {
                futures.add(pool.submit(() -> {
                    start.await();
                    while (!done.get()) {
                        byte[] seen = Files.readAllBytes(big);
                        if (seen.length != BIG) {
                            torn.set("reader saw " + seen.length + " bytes of " + BIG);
                        } else if (!Arrays.equals(seen, 0, BIG / 2, original, 0, BIG / 2)) {
                            torn.set("reader saw the first half differ from the original");
                        }
                    }
                    return null;
                }));
            }
            start.countDown();
            for (int i = 0; i < writers; i++) {
                futures.get(i).get();
            }
            done.set(true);
            for (Future<?> f : futures) {
                f.get();
            }
        } finally {
            done.set(true);
            pool.shutdownNow();
        }
        assertNull(torn.get());
        byte[] expected = original.clone();
        for (int id = 0; id < writers; id++) {
            Arrays.fill(expected, BIG - (id + 1) * 4096, BIG - id * 4096, (byte) ('A' + id));
        }
        // the branch file first: a difference there is a lost write, one only through the mount a stale page cache
        assertArrayEquals(expected, Files.readAllBytes(up.resolve("var/lib/big.db")), "every writer's page is in the copy");
        assertArrayEquals(expected, Files.readAllBytes(big), "every writer's page shows through the mount");
        assertEquals(List.of(), ls(up.resolve(Names.WORK_DIR)), "no temporary copy left behind");
    }

    /**
     * The sequence behind a rare failure of the race above, in order: a reader opened the lower
     * file before a writer copied it up; after the write, an open that sees the new mtime makes
     * the kernel drop the file's cached pages; the reader then reads the written page. Read
     * through the lower descriptor it would land in the page cache with the original data, and
     * every later open would be served that (the size and mtime no longer change).
     */
    @Test
    void aReaderOpenAcrossACopyUpReadsTheCopySoTheCacheNeverGoesBackToTheOriginal() throws Exception {
        Path big = m("var/lib/big.db");
        long last = BIG - 4096;
        byte[] page = new byte[4096];
        Arrays.fill(page, (byte) 'W');
        ByteBuffer seenByReader = ByteBuffer.allocate(4096);
        try (FileChannel reader = FileChannel.open(big, StandardOpenOption.READ)) {
            reader.read(ByteBuffer.allocate(4096), 0);
            try (FileChannel writer = FileChannel.open(big, StandardOpenOption.WRITE)) {
                writer.write(ByteBuffer.wrap(page), last);
            }
            Files.size(big); // the union reports the new mtime: the next open drops the cached pages
            FileChannel.open(big, StandardOpenOption.READ).close();
            reader.read(seenByReader, last);
        }
        byte[] branch = Files.readAllBytes(up.resolve("var/lib/big.db"));
        assertArrayEquals(page, Arrays.copyOfRange(branch, (int) last, BIG), "the write is in the writable branch");
        byte[] view = Files.readAllBytes(big);
        assertArrayEquals(page, Arrays.copyOfRange(view, (int) last, BIG), "a later open sees the write");
        assertArrayEquals(page, seenByReader.array(), "the open reader saw the write, as on one file");
    }

    @Test
    void processesAppendingToTheSameLowerFileAllLand() throws Exception {
        int procs = 8;
        List<Process> ps = new ArrayList<>();
        for (int i = 0; i < procs; i++) {
            ps.add(new ProcessBuilder("sh", "-c", "for j in 1 2 3 4 5; do echo p" + i + "-$j >> " + m("var/lib/small0") + "; done")
                    .inheritIO().start());
        }
        for (Process p : ps) {
            assertEquals(0, p.waitFor());
        }
        List<String> lines = Files.readAllLines(m("var/lib/small0"));
        assertEquals("line0", lines.get(0));
        assertEquals(1 + procs * 5, lines.size(), lines.toString());
        assertEquals(1 + procs * 5, Files.readAllLines(up.resolve("var/lib/small0")).size());
    }

    @Test
    void parallelWritersOfDistinctFilesAndListersAgree() throws Exception {
        int threads = 4;
        int files = 150;
        ExecutorService pool = Executors.newFixedThreadPool(threads + 1);
        AtomicBoolean done = new AtomicBoolean();
        try {
            List<Future<?>> fs = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int id = t;
                fs.add(pool.submit(() -> {
                    Path dir = Files.createDirectories(m("var/lib/t" + id));
                    for (int i = 0; i < files; i++) {
                        Files.writeString(dir.resolve("f" + i), "t" + id + "f" + i + "x".repeat(i * 50));
                        Files.writeString(m("var/lib/small" + (i % 8)), "t" + id + "\n", StandardOpenOption.APPEND);
                        if (i % 3 == 0) {
                            Files.delete(dir.resolve("f" + i));
                        }
                    }
                    return null;
                }));
            }
            Future<?> lister = pool.submit(() -> {
                while (!done.get()) {
                    for (String n : ls(m("var/lib"))) {
                        assertTrue(!n.startsWith(".wh."), n);
                    }
                }
                return null;
            });
            for (Future<?> f : fs) {
                f.get();
            }
            done.set(true);
            lister.get();
        } finally {
            done.set(true);
            pool.shutdownNow();
        }
        for (int t = 0; t < threads; t++) {
            List<String> names = ls(m("var/lib/t" + t));
            assertEquals(files - files / 3, names.size());
            for (int i = 1; i < files; i += 3) {
                assertEquals("t" + t + "f" + i + "x".repeat(i * 50), Tree.read(m("var/lib/t" + t + "/f" + i)));
            }
        }
        int appended = 0;
        for (int i = 0; i < 8; i++) {
            appended += Files.readAllLines(m("var/lib/small" + i)).size() - 1;
        }
        assertEquals(threads * files, appended);
    }
}
