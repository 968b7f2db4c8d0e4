package dev.layerfs.mount;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Unmounts a layerfs mount with fusermount and waits for its daemon to exit, or, for a mount
 * served by a mount host ({@code dev.layerfs.host}), for the host to have let go of it.
 */
public final class Unmounter {

    private Unmounter() {
    }

    public static void unmount(Path mountPoint, Duration waitForDaemon) {
        Path real;
        try {
            real = mountPoint.toAbsolutePath().normalize().toRealPath();
        } catch (IOException e) {
            throw new MountException("mountpoint " + mountPoint + ": no such directory");
        }
        String type = MountTable.typeAt(real)
                .orElseThrow(() -> new MountException("not mounted: " + mountPoint));
        if (!type.equals("fuse.layerfs")) {
            throw new MountException(mountPoint + " is not a layerfs mount (" + type + ")");
        }
        Optional<ProcessHandle> daemon = daemonOf(real);
        Optional<ProcessHandle> host = daemon.isPresent() ? Optional.empty() : hostOf(real);
        try {
            Process p = new ProcessBuilder("fusermount", "-u", real.toString()).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (p.waitFor() != 0) {
                throw new MountException("cannot unmount " + mountPoint + ": " + out.replace('\n', ' '));
            }
        } catch (IOException e) {
            throw new MountException("cannot run fusermount: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MountException("interrupted while unmounting " + mountPoint);
        }
        daemon.ifPresent(d -> await(() -> hasExited(d.pid()), waitForDaemon, "unmounted " + mountPoint
                + ", but its daemon (pid " + d.pid() + ") has not exited after " + waitForDaemon.toSeconds() + " s"));
        // the host removes the pid file once it has closed the union and the control socket
        host.ifPresent(h -> await(() -> hasExited(h.pid()) || !pidIn(RunFiles.pid(real)).equals(Optional.of(h.pid())),
                waitForDaemon, "unmounted " + mountPoint + ", but the mount host (pid " + h.pid()
                        + ") has not let go of it after " + waitForDaemon.toSeconds() + " s"));
    }

    private static void await(java.util.function.BooleanSupplier done, Duration timeout, String failure) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new MountException(failure);
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /**
     * Whether process {@code pid} has finished. A daemon whose parent is gone is reaped by
     * init, which may take its time: a zombie has exited for our purposes.
     */
    public static boolean hasExited(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            int close = stat.lastIndexOf(')');
            return close < 0 || close + 2 >= stat.length() || stat.charAt(close + 2) == 'Z';
        } catch (IOException e) {
            return true;
        }
    }

    /** The daemon serving {@code mountPoint}, from its pid file, if that process is still the daemon. */
    private static Optional<ProcessHandle> daemonOf(Path mountPoint) {
        // a pid file left by a killed daemon may name a recycled pid: check it serves this mount
        return pidIn(RunFiles.pid(mountPoint)).flatMap(ProcessHandle::of)
                .filter(p -> commandLine(p.pid()).contains(mountPoint.toString()));
    }

    /**
     * The mount host serving {@code mountPoint}: a live process named by the pid file that does not
     * name the mount point in its arguments, and that was running when the pid file was written
     * (a pid recycled after a killed host started later).
     */
    private static Optional<ProcessHandle> hostOf(Path mountPoint) {
        Path pidFile = RunFiles.pid(mountPoint);
        try {
            java.time.Instant written = Files.getLastModifiedTime(pidFile).toInstant();
            return pidIn(pidFile).flatMap(ProcessHandle::of).filter(p -> p.info().startInstant()
                    .map(started -> !started.isAfter(written)).orElse(false));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static Optional<Long> pidIn(Path pidFile) {
        try {
            return Optional.of(Long.parseLong(Files.readString(pidFile).strip()));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    /**
     * A process's arguments from /proc: ProcessHandle.Info leaves them empty once a command line
     * passes 4 KiB, which a daemon with many branches does.
     */
    private static List<String> commandLine(long pid) {
        try {
            String raw = new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline")), StandardCharsets.ISO_8859_1);
            return Arrays.asList(raw.split("\0"));
        } catch (IOException e) {
            return List.of();
        }
    }
}
