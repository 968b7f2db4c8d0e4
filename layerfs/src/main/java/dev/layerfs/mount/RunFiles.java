package dev.layerfs.mount;

import java.nio.file.Path;

/**
 * Where a mount keeps its log, pid file and control socket: {@code /run/layerfs/<escaped>.log},
 * {@code .pid} and {@code .sock} for root ({@code $XDG_RUNTIME_DIR/layerfs}, else {@code /tmp/layerfs-<user>},
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

    /** The daemon's control socket, through which branches change on the mounted union. */
    public static Path control(Path mountPoint) {
        Path full = dir().resolve(escape(mountPoint) + ".sock");
        if (full.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length <= MAX_SOCKET_PATH) {
            return full;
        }
        // sockaddr_un holds 108 bytes: a deep mount point gets a name from a digest of its path
        try {
            byte[] d = java.security.MessageDigest.getInstance("SHA-256")
                    .digest(mountPoint.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return dir().resolve("mount-" + java.util.HexFormat.of().formatHex(d, 0, 12) + ".sock");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Where the mount host ({@code layerfs host}) listens for mount requests by default. */
    public static Path hostSocket() {
        return dir().resolve("host.sock");
    }

    /** The longest path a Unix domain socket address holds (sun_path, 108 bytes with its NUL). */
    private static final int MAX_SOCKET_PATH = 107;
}
