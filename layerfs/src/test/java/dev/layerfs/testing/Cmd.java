package dev.layerfs.testing;

import java.nio.charset.StandardCharsets;
import java.util.List;

/** Runs a command (mknod, setfattr, ln, mv ...) as a user would, returning its output. */
public final class Cmd {

    public record Result(int exit, String output) {
    }

    private Cmd() {
    }

    public static Result run(String... command) throws Exception {
        Process p = new ProcessBuilder(List.of(command)).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Result(p.waitFor(), out.strip());
    }

    /** Runs the command and fails unless it exits 0. */
    public static String ok(String... command) throws Exception {
        Result r = run(command);
        if (r.exit() != 0) {
            throw new AssertionError(String.join(" ", command) + " exited " + r.exit() + ": " + r.output());
        }
        return r.output();
    }
}
