package dev.layerfs.cli.lxc;

import dev.layerfs.cli.UserError;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The {@code imaged} launcher the lease hook runs: its absolute path goes into the hook, as the
 * layerfs launcher's does into the mount hook.
 */
public final class ImagedLauncher {

    /** Names the launcher explicitly (tests, custom installs); the lease hook also exports it to the renewer. */
    public static final String ENV = "IMAGED_LAUNCHER";

    private ImagedLauncher() {
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
        return Executables.onPath("imaged").orElseThrow(() -> new UserError(
                "the imaged launcher is not on PATH, and the container's lease hook needs it:"
                        + " run ./install.sh, set " + ENV + ", or create the container with --no-lease"));
    }
}
