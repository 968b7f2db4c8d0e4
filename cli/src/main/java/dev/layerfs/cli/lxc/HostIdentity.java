package dev.layerfs.cli.lxc;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Who holds a container's lease: this host's name and an id that tells two hosts of the same
 * name apart (a reinstalled or cloned machine): {@code $IMAGED_HOST_ID}, else /etc/machine-id.
 */
public final class HostIdentity {

    public static final String ENV = "IMAGED_HOST_ID";

    private HostIdentity() {
    }

    public static String holder(Map<String, String> env) {
        String id = env.get(ENV);
        if (id == null || id.isBlank()) {
            id = machineId();
        }
        return hostName() + "/" + id.strip();
    }

    private static String machineId() {
        try {
            String id = Files.readString(Path.of("/etc/machine-id")).strip();
            return id.length() > 12 ? id.substring(0, 12) : id;
        } catch (IOException e) {
            return "no-machine-id";
        }
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "localhost";
        }
    }
}
