package dev.layerfs.cli.lxc;

import dev.layerfs.cli.UserError;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The launchers a container's hooks run: {@code layerfs} to mount and unmount its union,
 * {@code imaged} to take and renew its lease. Their absolute paths go into the hooks, since LXC
 * runs hooks with whatever PATH lxc-start happened to have.
 */
public enum HookLauncher {

    LAYERFS("layerfs", "LAYERFS_LAUNCHER", "the container's hooks need it: run ./install.sh, or set LAYERFS_LAUNCHER"),
    /** The lease hook also exports its path to the renewer it starts. */
    IMAGED("imaged", "IMAGED_LAUNCHER", "the container's lease hook needs it: run ./install.sh,"
            + " set IMAGED_LAUNCHER, or create the container with --no-lease");

    private final String command;
    private final String env;
    private final String hint;

    HookLauncher(String command, String env, String hint) {
        this.command = command;
        this.env = env;
        this.hint = hint;
    }

    /** The environment variable that names the launcher explicitly (tests, custom installs). */
    public String env() {
        return env;
    }

    public Path find() {
        String given = System.getenv(env);
        if (given != null && !given.isBlank()) {
            Path launcher = Path.of(given).toAbsolutePath();
            if (!Files.isExecutable(launcher)) {
                throw new UserError(env + "=" + given + " is not an executable file");
            }
            return launcher;
        }
        return Executables.onPath(command).orElseThrow(() -> new UserError(
                "the " + command + " launcher is not on PATH, and " + hint));
    }
}
