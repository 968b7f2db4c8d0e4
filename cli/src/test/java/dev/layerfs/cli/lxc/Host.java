package dev.layerfs.cli.lxc;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs host commands for the tests: real lxc-*, the launchers, mount tools. */
final class Host {

    private Host() {
    }

    record Run(List<String> command, int exit, String output) {

        Run ok() {
            if (exit != 0) {
                throw new AssertionError(String.join(" ", command) + " exited " + exit + ":\n" + output);
            }
            return this;
        }
    }

    static Run run(Map<String, String> env, String... command) {
        try {
            // A pipe, as from a terminal: the hooks write their failures to lxc-*'s stderr.
            ProcessBuilder pb = new ProcessBuilder(new ArrayList<>(List.of(command)))
                    .redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            pb.environment().putAll(env);
            Process p = pb.start();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            Thread reader = new Thread(() -> {
                try {
                    p.getInputStream().transferTo(out);
                } catch (IOException e) {
                    // the process is gone
                }
            });
            reader.setDaemon(true);
            reader.start();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError(String.join(" ", command) + " did not finish within 120 s:\n" + out);
            }
            // A daemon the command left behind may hold the pipe: do not wait for it.
            reader.join(2000);
            synchronized (out) {
                return new Run(List.of(command), p.exitValue(), out.toString(StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            throw new AssertionError("cannot run " + command[0] + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    static Run run(String... command) {
        return run(Map.of(), command);
    }

    static boolean onPath(String program) {
        return Executables.onPath(program).isPresent();
    }

    /** Unmounts everything at or below {@code dir}, deepest first; for cleanup after a failure. */
    static void unmountAllUnder(Path dir) {
        List<Path> mounts = MountTable.mountsAtOrUnder(dir);
        for (int i = mounts.size() - 1; i >= 0; i--) {
            if (run("umount", mounts.get(i).toString()).exit() != 0) {
                run("umount", "-l", mounts.get(i).toString());
            }
        }
    }
}
