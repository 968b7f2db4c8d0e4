package dev.layerfs.cli.lxc;

import dev.layerfs.cli.UserError;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The LXC tools this package drives: lxc-info to ask whether a container runs, lxc-stop to stop it. */
public final class Lxc {

    private static final Logger log = LoggerFactory.getLogger(Lxc.class);

    private Lxc() {
    }

    /** Fails with the fix when LXC is not installed: a config nobody can start helps no one. */
    public static void requireInstalled() {
        for (String tool : List.of("lxc-start", "lxc-execute", "lxc-info", "lxc-stop")) {
            if (Executables.onPath(tool).isEmpty()) {
                throw new UserError("LXC is not installed (" + tool + " is not on PATH): apt-get install lxc");
            }
        }
    }

    /** The result of one lxc-* run. */
    public record Result(int exit, String output) {
    }

    public static boolean isRunning(ContainerDir container) {
        Result info = run(List.of("lxc-info", "-P", container.lxcpath().toString(), "-n", container.name().value(), "-s"), 30);
        // "State:          RUNNING"; STOPPED, STARTING, STOPPING, ABORTING, FREEZING, FROZEN...
        return info.exit() == 0 && !info.output().contains("STOPPED");
    }

    /** Kills the container's processes at once (lxc-stop -k); its post-stop hook still runs. */
    public static void kill(ContainerDir container) {
        Result stop = run(List.of("lxc-stop", "-P", container.lxcpath().toString(), "-n", container.name().value(), "-k"), 60);
        if (stop.exit() != 0 && isRunning(container)) {
            throw new IllegalStateException("lxc-stop -k " + container.name() + " failed: " + stop.output().strip());
        }
    }

    public static Result run(List<String> command, int timeoutSeconds) {
        log.debug("running {}", command);
        Path output = null;
        try {
            // Output to a file, not a pipe: a child that hangs holding the pipe open cannot
            // hang us past the timeout.
            output = Files.createTempFile("layerfs-lxc-", ".out");
            Process p = new ProcessBuilder(new ArrayList<>(command))
                    .redirectErrorStream(true)
                    .redirectOutput(output.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                    .start();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(command.get(0) + " did not finish within " + timeoutSeconds + " s");
            }
            return new Result(p.exitValue(), Files.readString(output, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + command.get(0) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + command.get(0), e);
        } finally {
            if (output != null) {
                output.toFile().delete();
            }
        }
    }
}
