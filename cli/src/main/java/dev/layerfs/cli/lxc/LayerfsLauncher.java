package dev.layerfs.cli.lxc;

import dev.layerfs.cli.UserError;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The {@code layerfs} launcher the hooks run to mount and unmount a union. Its absolute path
 * goes into the hooks: LXC runs them with whatever PATH lxc-start happened to have.
 */
public final class LayerfsLauncher {

    /** Names the launcher explicitly (tests, custom installs). */
    public static final String ENV = "LAYERFS_LAUNCHER";

    private LayerfsLauncher() {
    }

    public static Path find() {
        String env = System.getenv(ENV);
        if (env != null && !env.isBlank()) {
            Path launcher = Path.of(env).toAbsolutePath();
            if (!Files.isExecutable(launcher)) {
                throw new UserError(ENV + "=" + env + " is not an executable file");
            }
            return launcher;
        }
        return Executables.onPath("layerfs").orElseThrow(() -> new UserError(
                "the layerfs launcher is not on PATH, and the container's hooks need it:"
                        + " run ./install.sh, or set " + ENV));
    }
}
