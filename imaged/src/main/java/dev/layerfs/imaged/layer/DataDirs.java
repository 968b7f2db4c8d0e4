package dev.layerfs.imaged.layer;

import java.nio.file.Path;

/**
 * Where imaged keeps its data when not told: {@code /var/lib/imaged} for root, the XDG data
 * directory ({@code $XDG_DATA_HOME/imaged}, else {@code ~/.local/share/imaged}) for anyone else.
 * Shared by the server (blobs, metadata) and the clients (the layer store).
 */
public final class DataDirs {

    private DataDirs() {
    }

    public static Path defaultDataDir() {
        if (NativeFs.isRoot()) {
            return Path.of("/var/lib/imaged");
        }
        String xdg = System.getenv("XDG_DATA_HOME");
        Path base = xdg != null && !xdg.isBlank() && Path.of(xdg).isAbsolute()
                ? Path.of(xdg)
                : Path.of(System.getProperty("user.home"), ".local", "share");
        return base.resolve("imaged");
    }

    /** The shared layer store: {@code <data>/layers}. */
    public static Path defaultLayerStore() {
        return defaultDataDir().resolve("layers");
    }
}
