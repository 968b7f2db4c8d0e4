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
 * Starts a mount daemon detached (its own session, output appended to a log file) and returns
 * once the mount is live, or relays the daemon's last words if it dies first.
 *
 * <p>The daemon is started through {@code setsid -f}, which forks it off and exits at once, so it
 * is not this JVM's child: a JVM waits 0.3 s at exit for its threads in native code, and a child
 * that outlives it keeps one (the thread that waits for the child) there. The daemon's first act
 * is to write its pid to a file named on its command line, which tells this side whether it is
 * still alive while the mount is not live yet.
 */
public final class Daemon {

    private Daemon() {
    }

    /** The file {@link #start} passes to the daemon for its pid: {@code command} must hand it to {@link DaemonMain}. */
    public static Path startingPidFile(Path mountPoint) {
        Path pid = RunFiles.pid(mountPoint);
        return pid.resolveSibling(pid.getFileName() + ".starting");
    }

    public static void start(List<String> command, Path log, Path mountPoint, Duration timeout) {
        Path starting = startingPidFile(mountPoint);
        List<String> cmd = new ArrayList<>(List.of("setsid", "-f"));
        cmd.addAll(command);
        long logStart;
        try {
            Files.createDirectories(log.getParent());
            Files.createDirectories(starting.getParent());
            Files.deleteIfExists(starting);
            logStart = Files.exists(log) ? Files.size(log) : 0;
            Process setsid = new ProcessBuilder(cmd)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .redirectErrorStream(true)
                    .start();
            if (setsid.waitFor() != 0) {
                throw new MountException("cannot start the layerfs daemon: setsid -f exited with status " + setsid.exitValue()
                        + " (log: " + log + ")");
            }
        } catch (IOException e) {
            throw new MountException("cannot start the layerfs daemon: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MountException("interrupted while starting the layerfs daemon for " + mountPoint);
        }
        try {
            awaitMount(starting, log, logStart, mountPoint, timeout);
        } finally {
            try {
                Files.deleteIfExists(starting);
            } catch (IOException ignored) {
                // a stale file is replaced by the next start
            }
        }
    }

    private static void awaitMount(Path starting, Path log, long logStart, Path mountPoint, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            Optional<String> type = MountTable.typeAt(mountPoint);
            if (type.isPresent() && type.get().startsWith("fuse")) {
                return;
            }
            Optional<Long> pid = pidIn(starting);
            if (pid.isPresent() && !running(pid.get())) {
                throw new MountException(lastLine(log, logStart)
                        .orElse("layerfs daemon exited before mounting " + mountPoint + " (log: " + log + ")"));
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        pidIn(starting).flatMap(ProcessHandle::of).ifPresent(ProcessHandle::destroy);
        throw new MountException("mount of " + mountPoint + " not live after " + timeout.toSeconds() + " s"
                + lastLine(log, logStart).map(l -> ": " + l).orElse("") + " (log: " + log + ")");
    }

    /**
     * Whether the process runs: not gone and not a zombie. The daemon is not our child, so a dead
     * one stays a zombie until its new parent reaps it, and ProcessHandle counts zombies as alive.
     */
    static boolean running(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            int afterName = stat.lastIndexOf(')'); // the command name may hold spaces and parentheses
            return afterName > 0 && afterName + 2 < stat.length() && stat.charAt(afterName + 2) != 'Z';
        } catch (IOException e) {
            return false; // gone
        }
    }

    /** The pid the daemon wrote, once it has. */
    private static Optional<Long> pidIn(Path file) {
        try {
            String text = Files.readString(file).strip();
            return text.isEmpty() ? Optional.empty() : Optional.of(Long.parseLong(text));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty(); // not written yet, or being written
        }
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
