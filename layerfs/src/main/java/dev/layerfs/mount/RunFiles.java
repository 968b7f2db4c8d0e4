package dev.layerfs.mount;

import java.nio.file.Path;

/**
 * Where a background mount keeps its log and pid file: {@code /run/layerfs/<escaped>.log} and
 * {@code .pid} for root ({@code $XDG_RUNTIME_DIR/layerfs}, else {@code /tmp/layerfs-<user>},
 * otherwise), the mount point escaped as systemd does it ({@code /srv/ct/rootfs} becomes
 * {@code srv-ct-rootfs}).
 */
public final class RunFiles {

    private RunFiles() {
    }

    public static Path dir() {
        if ("root".equals(System.getProperty("user.name"))) {
            return Path.of("/run/layerfs");
        }
        String xdg = System.getenv("XDG_RUNTIME_DIR");
        return xdg != null ? Path.of(xdg, "layerfs") : Path.of("/tmp", "layerfs-" + System.getProperty("user.name"));
    }

    public static String escape(Path mountPoint) {
        String s = mountPoint.toString().replaceAll("^/+", "").replaceAll("/+$", "");
        if (s.isEmpty()) {
            return "-";
        }
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            if (c == '/') {
                b.append('-');
            } else if (Character.isLetterOrDigit(c) || c == '_' || c == '.' || c == ':') {
                b.append(c);
            } else {
                b.append(String.format("\\x%02x", (int) c));
            }
        }
        return b.toString();
    }

    public static Path log(Path mountPoint) {
        return dir().resolve(escape(mountPoint) + ".log");
    }

    public static Path pid(Path mountPoint) {
        return dir().resolve(escape(mountPoint) + ".pid");
    }
}
