package dev.layerfs.mount;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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
            try {
                d.onExit().get(waitForDaemon.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
            } catch (Exception e) {
                throw new MountException("unmounted " + mountPoint + ", but its daemon (pid " + d.pid()
                        + ") has not exited after " + waitForDaemon.toSeconds() + " s");
            }
        });
    }

    private static Optional<ProcessHandle> daemonOf(Path mountPoint) {
        try {
            long pid = Long.parseLong(Files.readString(RunFiles.pid(mountPoint)).strip());
            return ProcessHandle.of(pid);
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }
}
