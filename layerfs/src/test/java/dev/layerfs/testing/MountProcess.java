package dev.layerfs.testing;

import dev.layerfs.mount.MountTable;
import dev.layerfs.mount.RunFiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A union served by a separate JVM ({@link MountMain}), so that a test can kill it with SIGKILL
 * the way a crash would, then clean up the way an administrator would (fusermount -u -z).
 */
public final class MountProcess implements AutoCloseable {

    private final Process process;
    private final Path mountPoint;

    private MountProcess(Process process, Path mountPoint) {
        this.process = process;
        this.mountPoint = mountPoint;
    }

    /** Starts the daemon and waits until the mount is live; its output goes to {@code log}. */
    public static MountProcess start(String dirs, Path mountPoint, Path log) throws Exception {
        LiveUnion.assumeFuse();
        Path real = mountPoint.toRealPath();
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), MountMain.class.getName(), real.toString(), dirs)
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!MountTable.isMounted(real)) {
            if (!p.isAlive() || System.nanoTime() > deadline) {
                p.destroyForcibly();
                throw new IllegalStateException("the layerfs daemon did not mount " + real + ": " + Files.readString(log));
            }
            Thread.sleep(20);
        }
        return new MountProcess(p, real);
    }

    public Path path() {
        return mountPoint;
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** SIGKILL (no shutdown hook, no unmount), then waits for the process to be gone. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /** Kills the daemon if still running and lazily unmounts what it leaves behind. */
    @Override
    public void close() throws IOException, InterruptedException {
        kill();
        LiveUnion.unmount(mountPoint);
        Files.deleteIfExists(RunFiles.pid(mountPoint));
        Files.deleteIfExists(RunFiles.control(mountPoint)); // a killed daemon leaves its socket
    }
}
