package dev.layerfs.testing;

import dev.layerfs.branch.BranchStack;
import dev.layerfs.fuse.LayerFuse;
import dev.layerfs.mount.MountOptions;
import dev.layerfs.mount.MountTable;
import dev.layerfs.sys.Fs;
import dev.layerfs.union.UnionFs;
import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A union mounted for real through FUSE, served by this JVM on a background thread. Closing it
 * unmounts lazily (fusermount -u -z), so even a failed test leaves nothing mounted.
 */
public final class LiveUnion implements AutoCloseable {

    private final Path mountPoint;
    private final UnionFs union;
    private final Thread server;

    private LiveUnion(Path mountPoint, UnionFs union, Thread server) {
        this.mountPoint = mountPoint;
        this.union = union;
        this.server = server;
    }

    public static void assumeFuse() {
        Assumptions.assumeTrue(Files.exists(Path.of("/dev/fuse")),
                "SKIPPED: /dev/fuse is absent, so no FUSE mount can be made on this machine");
    }

    /** Mounts {@code dirs} (AUFS syntax) on {@code mountPoint} and waits until it is live. */
    public static LiveUnion mount(String dirs, Path mountPoint, String... extraOptions) throws Exception {
        assumeFuse();
        List<String> opts = new java.util.ArrayList<>(List.of("dirs=" + dirs));
        opts.addAll(List.of(extraOptions));
        MountOptions options = MountOptions.parse(opts, Path.of("/"));
        UnionFs union = new UnionFs(options.branches(), options.policies());
        union.statfsMode(options.statfs());
        Fs.umask(0);
        Path real = mountPoint.toRealPath();
        String[] args = options.fuseArgs(true).toArray(String[]::new);
        Thread t = new Thread(() -> new LayerFuse(union).serve(real, false, args), "layerfs-test-" + real.getFileName());
        t.setDaemon(true);
        t.start();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!MountTable.isMounted(real)) {
            if (!t.isAlive() || System.nanoTime() > deadline) {
                union.close();
                throw new IllegalStateException("mount of " + dirs + " on " + real + " did not come up");
            }
            Thread.sleep(10);
        }
        return new LiveUnion(real, union, t);
    }

    public static LiveUnion mount(BranchStack stack, Path mountPoint) throws Exception {
        return mount(stack.spec(), mountPoint);
    }

    public Path path() {
        return mountPoint;
    }

    public Path resolve(String rel) {
        return mountPoint.resolve(rel);
    }

    public UnionFs union() {
        return union;
    }

    @Override
    public void close() throws Exception {
        try {
            unmount(mountPoint);
            server.join(10_000);
        } finally {
            union.close();
        }
    }

    public static void unmount(Path mountPoint) throws IOException, InterruptedException {
        if (MountTable.isMounted(mountPoint)) {
            new ProcessBuilder("fusermount", "-u", "-z", mountPoint.toString()).inheritIO().start().waitFor();
        }
    }
}
