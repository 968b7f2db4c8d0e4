package dev.layerfs.mount;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Starts a foreground mount command as a detached daemon (its own session, output appended to a
 * log file) and returns once the mount is live, or relays the daemon's last words if it dies
 * first.
 */
public final class Daemon {

    private Daemon() {
    }

    public static void start(List<String> command, Path log, Path mountPoint, Duration timeout) {
        List<String> cmd = new ArrayList<>();
        cmd.add("setsid");
        cmd.addAll(command);
        long logStart;
        Process child;
        try {
            Files.createDirectories(log.getParent());
            logStart = Files.exists(log) ? Files.size(log) : 0;
            child = new ProcessBuilder(cmd)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .redirectErrorStream(true)
                    .start();
        } catch (IOException e) {
            throw new MountException("cannot start the layerfs daemon: " + e.getMessage(), e);
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            Optional<String> type = MountTable.typeAt(mountPoint);
            if (type.isPresent() && type.get().startsWith("fuse")) {
                return;
            }
            if (!child.isAlive()) {
                throw new MountException(lastLine(log, logStart)
                        .orElse("layerfs daemon exited with status " + child.exitValue() + " (log: " + log + ")"));
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        child.destroy();
        throw new MountException("mount of " + mountPoint + " not live after " + timeout.toSeconds() + " s (log: " + log + ")");
    }

    /**
     * What the daemon said last: libfuse's own complaints ("fuse: ...") followed by the
     * daemon's final line, without its "layerfs: " prefix, as one line.
     */
    static Optional<String> lastLine(Path log, long from) {
        try (RandomAccessFile f = new RandomAccessFile(log.toFile(), "r")) {
            long len = f.length();
            if (len <= from) {
                return Optional.empty();
            }
            byte[] b = new byte[(int) Math.min(len - from, 64 * 1024)];
            f.seek(len - b.length);
            f.readFully(b);
            List<String> lines = new String(b, StandardCharsets.UTF_8).lines()
                    .map(String::strip).filter(l -> !l.isEmpty()).toList();
            if (lines.isEmpty()) {
                return Optional.empty();
            }
            String last = lines.get(lines.size() - 1);
            last = last.startsWith("layerfs: ") ? last.substring(9) : last;
            List<String> fuse = lines.stream().filter(l -> l.startsWith("fuse: ")).toList();
            return Optional.of(fuse.isEmpty() ? last : String.join("; ", fuse) + " (" + last + ")");
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
