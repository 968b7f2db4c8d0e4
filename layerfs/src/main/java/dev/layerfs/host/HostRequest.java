package dev.layerfs.host;

import dev.layerfs.mount.MountException;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What a client asks of the mount host. On the host socket, as on a mount's control socket:
 * NUL-separated fields, ended by the client closing its side: {@code mount}, the options (one
 * {@code -o} value, branches absolute), the mount point (absolute) and {@code debug} or
 * {@code quiet}; or {@code status}.
 */
public sealed interface HostRequest {

    /** Mount a union, as {@code layerfs mount -o OPTIONS MOUNTPOINT} would. */
    record Mount(String options, Path mountPoint, boolean debug) implements HostRequest {
        @Override
        public List<String> fields() {
            return List.of("mount", options, mountPoint.toString(), debug ? "debug" : "quiet");
        }
    }

    /** List the mounts the host serves. */
    record Status() implements HostRequest {
        @Override
        public List<String> fields() {
            return List.of("status");
        }
    }

    List<String> fields();

    default byte[] encode() {
        return String.join("\0", fields()).getBytes(StandardCharsets.UTF_8);
    }

    static HostRequest decode(byte[] raw) {
        List<String> f = new ArrayList<>(List.of(new String(raw, StandardCharsets.UTF_8).split("\0", -1)));
        switch (f.get(0)) {
            case "status" -> {
                return new Status();
            }
            case "mount" -> {
                if (f.size() != 4 || !Path.of(f.get(2)).isAbsolute()) {
                    throw new MountException("malformed mount request to the host: " + f.size()
                            + " fields, expected mount, options, absolute mount point, debug|quiet");
                }
                return new Mount(f.get(1), Path.of(f.get(2)), f.get(3).equals("debug"));
            }
            default -> throw new MountException("unknown request to the mount host: '" + f.get(0) + "'");
        }
    }
}
