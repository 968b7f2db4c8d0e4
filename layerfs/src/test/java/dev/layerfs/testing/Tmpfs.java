package dev.layerfs.testing;

import org.junit.jupiter.api.Assumptions;

import java.nio.file.Path;

/** A tmpfs of a given size mounted on a directory, so a test controls a branch's free space. Closing unmounts it. */
public final class Tmpfs implements AutoCloseable {

    private final Path dir;

    private Tmpfs(Path dir) {
        this.dir = dir;
    }

    public static Tmpfs mount(Path dir, String size) throws Exception {
        Cmd.Result r = Cmd.run("mount", "-t", "tmpfs", "-o", "size=" + size + ",mode=0755", "tmpfs", dir.toString());
        Assumptions.assumeTrue(r.exit() == 0, "SKIPPED: cannot mount a tmpfs (needs root): " + r.output());
        return new Tmpfs(dir);
    }

    public Path dir() {
        return dir;
    }

    @Override
    public void close() throws Exception {
        Cmd.run("umount", "-l", dir.toString());
    }
}
