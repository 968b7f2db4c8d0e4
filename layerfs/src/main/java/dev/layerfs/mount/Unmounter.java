package dev.layerfs.mount;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/** Unmounts a layerfs mount with fusermount and waits for its daemon to exit. */
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
        daemon.ifPresent(d -> {
            long deadline = System.nanoTime() + waitForDaemon.toNanos();
            while (!hasExited(d.pid())) {
                if (System.nanoTime() > deadline) {
                    throw new MountException("unmounted " + mountPoint + ", but its daemon (pid " + d.pid()
                            + ") has not exited after " + waitForDaemon.toSeconds() + " s");
                }
                try {
                    Thread.sleep(10);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        });
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
        try {
            long pid = Long.parseLong(Files.readString(RunFiles.pid(mountPoint)).strip());
            // a pid file left by a killed daemon may name a recycled pid: check it serves this mount
            return ProcessHandle.of(pid).filter(p -> commandLine(pid).contains(mountPoint.toString()));
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
