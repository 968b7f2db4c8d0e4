package dev.layerfs.fsx;

import dev.layerfs.mount.MountTable;
import dev.layerfs.testing.LiveUnion;
import dev.layerfs.testing.MountProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * kill -9 of a layerfs mount daemon (its own process, see {@link MountProcess}) while four threads
 * copy up large lower files (by writing a block, by chmod, by rename) and write new files; then
 * a lazy unmount, a check of the writable branch as it lies on disk, a remount, and a check of
 * what users see. Two such crashes, on two halves of the files.
 *
 * <p>What a crash can lose. Killing the daemon is a crash of the process, not of the machine:
 * whatever the daemon handed to the branch's file system (a completed write, a renamed copy-up)
 * is in the kernel's page cache and survives, so every write the application saw complete must
 * be there afterwards; only requests in flight at the kill are lost, and a copy-up in progress
 * leaves a partial copy under a temporary name in the work directory, which was never visible
 * and which the next mount removes. A crash of the machine (power loss) can lose more, as
 * {@code CopyUp} documents: copied data is fsynced before the copy is renamed into place, so a
 * name never shows a short copy, but the rename itself is not synced, so a recent copy-up (and
 * writes made since that nobody fsynced) may revert to the lower file; fsync through the mount
 * also syncs the directory and makes it durable. This test checks the process-crash promise:
 * every name is absent from the writable branch, or its complete old content, or its complete
 * new content, never a truncated or half-copied file, and every acknowledged change is there.
 */
class CrashDuringCopyUpTest {

    private static final int BLOCK = 4096;
    private static final int FILES_PER_ROUND = 14;
    private static final int THREADS = 4;

    enum Action { WRITE, WRITE_FSYNC, CHMOD, RENAME, NEW_FILE }

    /** One file's fate: its name, its size, what the workload does to it, and the digests of its old and new content. */
    record Plan(int round, String name, long size, Action action, long offset, String oldDigest, String newDigest) {
        String moved() {
            return name + ".moved";
        }
    }

    @TempDir
    Path tmp;

    @Test
    @Timeout(value = 4, unit = TimeUnit.MINUTES)
    void killingTheDaemonDuringCopyUpsLeavesOldOrNewCompleteFilesAndLosesNoAcknowledgedChange() throws Exception {
        LiveUnion.assumeFuse();
        Path lower = Files.createDirectories(tmp.resolve("lower"));
        Path upper = Files.createDirectories(tmp.resolve("upper"));
        Path mnt = Files.createDirectories(tmp.resolve("mnt"));
        String dirs = upper + "=rw:" + lower + "=ro";
        List<Plan> plans = populate(lower, new Random(Long.getLong("crash.seed", 7)));
        Map<String, String> lowerBefore = BranchDigest.of(lower);
        Set<String> acked = ConcurrentHashMap.newKeySet();
        StringBuilder figures = new StringBuilder();
        for (int round = 0; round < 2; round++) {
            final int r = round;
            List<Plan> mine = plans.stream().filter(p -> p.round() == r).toList();
            int before = acked.size();
            crashDuring(mine, dirs, mnt, acked, figures);
            figures.append(", ").append(acked.size() - before).append(" of ").append(mine.size()).append(" acknowledged in all");
            int leftovers = checkWritableBranch(upper, lower, plans, acked);
            figures.append(", ").append(leftovers).append(" interrupted copy-ups left in the work directory\n");
            try (LiveUnion u = LiveUnion.mount(dirs, mnt)) {
                try (Stream<Path> s = Files.list(upper.resolve(".wh..wh.work"))) {
                    assertEquals(List.of(), s.toList(), "the mount must clear interrupted copy-ups");
                }
                checkUnion(u.path(), lower, plans, acked);
            }
        }
        assertEquals("", BranchDigest.changes(lowerBefore, BranchDigest.of(lower)), "the lower branch changed");
        System.out.println("crash test:\n" + figures);
    }

    /**
     * Starts the daemon and runs the round's workload; the worker whose acknowledgement completes
     * the first third kills the daemon at once, while the other workers are in the middle of theirs.
     */
    private void crashDuring(List<Plan> plans, String dirs, Path mnt, Set<String> acked, StringBuilder figures) throws Exception {
        MountProcess daemon = MountProcess.start(dirs, mnt, tmp.resolve("daemon.log"));
        List<Thread> workers = new ArrayList<>();
        AtomicLong killedAt = new AtomicLong();
        AtomicInteger inFlightAtKill = new AtomicInteger(-1);
        AtomicInteger ackedBeforeKill = new AtomicInteger();
        AtomicInteger ackedAfterKill = new AtomicInteger();
        Set<String> ackedAfterDeath = ConcurrentHashMap.newKeySet();
        List<String> errorsBeforeKill = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger next = new AtomicInteger();
        AtomicInteger started = new AtomicInteger();
        AtomicInteger done = new AtomicInteger();
        int killAfter = Math.max(2, plans.size() / 3);
        try {
            for (int t = 0; t < THREADS; t++) {
                Thread w = new Thread(() -> {
                    for (int i = next.getAndIncrement(); i < plans.size(); i = next.getAndIncrement()) {
                        started.incrementAndGet();
                        boolean deadBefore = !daemon.isAlive();
                        try {
                            perform(daemon.path(), plans.get(i));
                        } catch (IOException e) {
                            if (killedAt.get() == 0) {
                                errorsBeforeKill.add(plans.get(i).name() + ": " + e);
                            }
                            return; // the daemon is gone: ENOTCONN and the like
                        }
                        acked.add(plans.get(i).name());
                        if (deadBefore) { // every one of these operations needs the daemon's answer
                            ackedAfterDeath.add(plans.get(i).name());
                        }
                        if (killedAt.get() != 0) {
                            ackedAfterKill.incrementAndGet();
                        } else if (done.incrementAndGet() == killAfter && killedAt.compareAndSet(0, System.nanoTime())) {
                            ackedBeforeKill.set(done.get());
                            inFlightAtKill.set(started.get() - done.get());
                            try {
                                daemon.kill(); // SIGKILL: no shutdown hook, no unmount, no cleanup
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                                return;
                            }
                        }
                    }
                }, "crash-workload-" + t);
                w.start();
                workers.add(w);
            }
            for (Thread w : workers) {
                w.join(120_000);
            }
        } finally {
            daemon.close(); // kills it if still running; fusermount -u -z
        }
        assertEquals(List.of(), errorsBeforeKill, "operations failed while the daemon was running");
        assertTrue(workers.stream().noneMatch(Thread::isAlive), "a workload thread hangs on the dead mount");
        assertTrue(killedAt.get() != 0, "the workload ended before the kill");
        figures.append("killed after ").append(ackedBeforeKill.get()).append(" acknowledged, ").append(inFlightAtKill.get())
                .append(" in flight, ").append(ackedAfterKill.get()).append(" completed between SIGKILL and the daemon's exit");
        assertTrue(inFlightAtKill.get() > 0, "the kill came between operations, not in the middle of one");
        assertEquals(Set.of(), ackedAfterDeath, "operations begun after the daemon was dead, yet acknowledged");
        assertTrue(!MountTable.isMounted(mnt.toRealPath()), "still mounted after fusermount -u -z");
    }

    private static void perform(Path mnt, Plan p) throws IOException {
        Path f = mnt.resolve(p.name());
        switch (p.action()) {
            case WRITE, WRITE_FSYNC -> {
                try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) { // copies the file up
                    ByteBuffer b = ByteBuffer.wrap(marker(p));
                    int n = ch.write(b, p.offset()); // one 4 KiB block, aligned: one FUSE write
                    if (n != BLOCK) {
                        throw new IOException("short write " + n + " to " + f);
                    }
                    if (p.action() == Action.WRITE_FSYNC) {
                        ch.force(true);
                    }
                }
            }
            case CHMOD -> Files.setAttribute(f, "unix:mode", 0600);
            case RENAME -> Files.move(f, mnt.resolve(p.moved()), StandardCopyOption.ATOMIC_MOVE);
            case NEW_FILE -> {
                try (OutputStream out = Files.newOutputStream(f, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                    Content c = new Content(p.name(), p.size());
                    byte[] buf = new byte[128 * 1024];
                    for (long off = 0; off < p.size(); off += buf.length) {
                        int n = (int) Math.min(buf.length, p.size() - off);
                        c.fill(buf, off, n);
                        out.write(buf, 0, n);
                    }
                }
            }
            default -> throw new IllegalStateException();
        }
    }

    /** The writable branch as it lies on disk after the crash, before any mount tidies it. Answers the number of work-directory leftovers. */
    private static int checkWritableBranch(Path upper, Path lower, List<Plan> plans, Set<String> acked) throws Exception {
        for (Plan p : plans) {
            Path f = upper.resolve(p.name());
            switch (p.action()) {
                case WRITE, WRITE_FSYNC, CHMOD -> digestIfPresent(f).ifPresent(d -> assertTrue(
                        d.equals(p.oldDigest()) || (p.action() != Action.CHMOD && d.equals(p.newDigest())),
                        "writable branch holds a file that is neither the old nor the new complete content: " + f));
                case RENAME -> {
                    for (Path q : List.of(f, upper.resolve(p.moved()))) {
                        digestIfPresent(q).ifPresent(d -> assertEquals(p.oldDigest(), d, "incomplete copy in the writable branch: " + q));
                    }
                }
                case NEW_FILE -> checkNewFile(f, p, acked.contains(p.name()));
                default -> throw new IllegalStateException();
            }
        }
        try (Stream<Path> s = Files.list(upper.resolve(".wh..wh.work"))) {
            return (int) s.count();
        }
    }

    private static void checkUnion(Path mnt, Path lower, List<Plan> plans, Set<String> acked) throws Exception {
        for (Plan p : plans) {
            Path f = mnt.resolve(p.name());
            boolean ack = acked.contains(p.name());
            switch (p.action()) {
                case WRITE, WRITE_FSYNC -> {
                    String d = digestIfPresent(f).orElseThrow(() -> new AssertionError("vanished: " + f));
                    if (ack) {
                        assertEquals(p.newDigest(), d, "an acknowledged write is lost: " + f);
                    } else {
                        assertTrue(d.equals(p.oldDigest()) || d.equals(p.newDigest()), "neither old nor new: " + f);
                    }
                }
                case CHMOD -> {
                    assertEquals(p.oldDigest(), digestIfPresent(f).orElseThrow(() -> new AssertionError("vanished: " + f)));
                    int mode = (Integer) Files.getAttribute(f, "unix:mode") & 07777;
                    int was = (Integer) Files.getAttribute(lower.resolve(p.name()), "unix:mode") & 07777;
                    assertTrue(mode == 0600 || (!ack && mode == was), "mode " + Integer.toOctalString(mode) + " of " + f);
                }
                case RENAME -> {
                    Optional<String> atOld = digestIfPresent(f);
                    Optional<String> atNew = digestIfPresent(mnt.resolve(p.moved()));
                    assertTrue(atOld.isPresent() != atNew.isPresent(), "exactly one of the names must show: " + f);
                    assertEquals(p.oldDigest(), atOld.orElseGet(atNew::get), "renamed file's content: " + f);
                    assertTrue(!ack || atNew.isPresent(), "an acknowledged rename is lost: " + f);
                }
                case NEW_FILE -> checkNewFile(f, p, ack);
                default -> throw new IllegalStateException();
            }
        }
        try (Stream<Path> s = Files.walk(mnt)) {
            List<String> hidden = s.map(q -> q.getFileName() == null ? "" : q.getFileName().toString())
                    .filter(n -> n.startsWith(".wh.") || n.startsWith("tmp.")).toList();
            assertEquals(List.of(), hidden, "bookkeeping or temporary names visible through the mount");
        }
    }

    /** A new file may be missing or short if its writing was cut, but what is there is what was written; acknowledged means complete. */
    private static void checkNewFile(Path f, Plan p, boolean ack) throws IOException {
        if (!Files.exists(f, LinkOption.NOFOLLOW_LINKS)) {
            assertTrue(!ack, "an acknowledged new file is lost: " + f);
            return;
        }
        long size = Files.size(f);
        assertTrue(size <= p.size() && (!ack || size == p.size()), "size " + size + " of " + f);
        Content c = new Content(p.name(), p.size());
        byte[] want = new byte[64 * 1024];
        byte[] got = new byte[want.length];
        try (InputStream in = Files.newInputStream(f)) {
            for (long off = 0; off < size; off += want.length) {
                int n = (int) Math.min(want.length, size - off);
                c.fill(want, off, n);
                int read = in.readNBytes(got, 0, n);
                assertEquals(n, read, "short read of " + f);
                assertTrue(java.util.Arrays.equals(want, 0, n, got, 0, n), "wrong bytes at " + off + " in " + f);
            }
        }
    }

    private static Optional<String> digestIfPresent(Path f) throws IOException {
        if (!Files.exists(f, LinkOption.NOFOLLOW_LINKS)) {
            return Optional.empty();
        }
        try (InputStream in = Files.newInputStream(f)) {
            MessageDigest md = sha256();
            byte[] buf = new byte[256 * 1024];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
            return Optional.of(HexFormat.of().formatHex(md.digest()));
        }
    }

    /** Lower files of 1 to 24 MiB in two directories, and the plan for each; the digests are computed while writing. */
    private static List<Plan> populate(Path lower, Random r) throws Exception {
        int[] mib = {1, 2, 4, 8, 16, 24};
        Action[] actions = Action.values();
        List<Plan> plans = new ArrayList<>();
        for (int round = 0; round < 2; round++) {
            for (int i = 0; i < FILES_PER_ROUND; i++) {
                String name = "data/" + (i % 2 == 0 ? "a" : "b") + "/r" + round + "-" + i;
                Action a = actions[r.nextInt(actions.length)];
                long size = (long) mib[r.nextInt(mib.length)] << 20;
                if (a == Action.NEW_FILE) {
                    size = (1 + r.nextInt(4)) << 20;
                    plans.add(new Plan(round, name, size, a, 0, "", ""));
                    continue;
                }
                long offset = (long) r.nextInt((int) (size / BLOCK)) * BLOCK;
                Content c = new Content(name, size);
                MessageDigest oldMd = sha256();
                MessageDigest newMd = sha256();
                byte[] buf = new byte[1 << 20];
                Path f = lower.resolve(name);
                Files.createDirectories(f.getParent());
                byte[] mark = marker(new Plan(round, name, size, a, offset, "", ""));
                try (OutputStream out = Files.newOutputStream(f)) {
                    for (long off = 0; off < size; off += buf.length) {
                        c.fill(buf, off, buf.length);
                        out.write(buf);
                        oldMd.update(buf);
                        if (offset >= off && offset < off + buf.length) {
                            System.arraycopy(mark, 0, buf, (int) (offset - off), BLOCK);
                        }
                        newMd.update(buf);
                    }
                }
                Files.setAttribute(f, "unix:mode", 0644);
                plans.add(new Plan(round, name, size, a, offset, HexFormat.of().formatHex(oldMd.digest()),
                        HexFormat.of().formatHex(newMd.digest())));
            }
        }
        return plans;
    }

    /** The block a write puts: recognisably this file's. */
    private static byte[] marker(Plan p) {
        byte[] b = new byte[BLOCK];
        byte[] tag = ("new block of " + p.name() + " ").getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < BLOCK; i++) {
            b[i] = tag[i % tag.length];
        }
        return b;
    }

    /** A file's deterministic content: each 4 KiB page says which file and page it is, the rest is seeded noise. */
    private static final class Content {
        private final byte[] noise = new byte[BLOCK];
        private final String name;

        Content(String name, long size) {
            this.name = name;
            new Random(name.hashCode()).nextBytes(noise);
        }

        void fill(byte[] buf, long offset, int length) {
            for (int i = 0; i < length; i++) {
                long pos = offset + i;
                buf[i] = noise[(int) (pos % BLOCK)];
            }
            for (long page = (offset + BLOCK - 1) / BLOCK * BLOCK; page < offset + length; page += BLOCK) {
                byte[] stamp = (name + "@" + page).getBytes(StandardCharsets.UTF_8);
                int at = (int) (page - offset);
                System.arraycopy(stamp, 0, buf, at, Math.min(stamp.length, length - at));
            }
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
