package dev.layerfs.testing;

import dev.layerfs.branch.BranchStack;
import dev.layerfs.control.ControlServer;
import dev.layerfs.control.LiveBranches;
import dev.layerfs.fuse.LayerFuse;
import dev.layerfs.mount.MountOptions;
import dev.layerfs.mount.MountTable;
import dev.layerfs.mount.RunFiles;
import dev.layerfs.sys.Fs;
import dev.layerfs.union.UnionFs;
import dev.layerfs.wire.WireMount;
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
    private final ControlServer control;

    private LiveUnion(Path mountPoint, UnionFs union, Thread server, ControlServer control) {
        this.mountPoint = mountPoint;
        this.union = union;
        this.server = server;
        this.control = control;
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
        if (opts.stream().noneMatch(o -> o.startsWith("engine="))) { // a test naming its engine keeps it
            engineOption().ifPresent(opts::add);
        }
        MountOptions options = MountOptions.parse(opts, Path.of("/"));
        UnionFs union = new UnionFs(options.branches(), options.policies());
        union.statfsMode(options.statfs());
        Fs.umask(0);
        Path real = mountPoint.toRealPath();
        String[] args = options.fuseArgs(true).toArray(String[]::new);
        Runnable serve;
        ControlServer control;
        if (options.engine() == MountOptions.Engine.WIRE) {
            WireMount wire = new WireMount(real, options, union, true, false);
            control = ControlServer.start(RunFiles.control(real), new LiveBranches(union, wire::branchesChanged, real));
            serve = wire::serve;
        } else {
            LayerFuse fuse = new LayerFuse(union);
            // the control socket, as the daemon has it: tests change branches the way the CLI does
            control = ControlServer.start(RunFiles.control(real), new LiveBranches(union, fuse, real));
            serve = () -> fuse.serve(real, false, args);
        }
        Thread t = new Thread(serve, "layerfs-test-" + real.getFileName());
        t.setDaemon(true);
        t.start();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!MountTable.isMounted(real)) {
            if (!t.isAlive() || System.nanoTime() > deadline) {
                control.close();
                union.close();
                throw new IllegalStateException("mount of " + dirs + " on " + real + " did not come up");
            }
            Thread.sleep(10);
        }
        return new LiveUnion(real, union, t, control);
    }

    /**
     * The FUSE engine the tests run on: {@code -Dlayerfs.engine=jnr-fuse} (or {@code wire}) runs
     * the whole suite on that engine, except tests that name theirs; unset, each mount uses the default.
     */
    public static java.util.Optional<String> engineOption() {
        return java.util.Optional.ofNullable(System.getProperty("layerfs.engine"))
                .filter(e -> !e.isBlank()).map(e -> "engine=" + e);
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
            control.close();
            union.close();
        }
    }

    public static void unmount(Path mountPoint) throws IOException, InterruptedException {
        if (MountTable.isMounted(mountPoint)) {
            new ProcessBuilder("fusermount", "-u", "-z", mountPoint.toString()).inheritIO().start().waitFor();
        }
    }
}
