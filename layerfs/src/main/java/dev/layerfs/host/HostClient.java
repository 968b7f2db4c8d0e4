package dev.layerfs.host;

import dev.layerfs.control.ControlClient;
import dev.layerfs.mount.MountException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Asks the mount host listening on a socket to mount, or what it serves. */
public final class HostClient {

    private HostClient() {
    }

    /** Has the host mount; returns once the mount is live. MountException with the host's reason otherwise. */
    public static void mount(Path socket, HostRequest.Mount request) {
        send(socket, request);
    }

    /** The host's pid, mount count and one line per mount. */
    public static String status(Path socket) {
        return send(socket, new HostRequest.Status());
    }

    private static String send(Path socket, HostRequest request) {
        if (!Files.exists(socket)) {
            throw noHost(socket, "no such socket");
        }
        ControlClient.Answer answer;
        try {
            answer = ControlClient.exchange(socket, request.encode());
        } catch (IOException e) {
            throw noHost(socket, e.getMessage());
        }
        if (answer.ok()) {
            return answer.body();
        }
        // the host's own words: the same message as a daemon's for the same mistake
        throw new MountException(answer.errno().isPresent() ? answer.body()
                : "unexpected answer from the layerfs host at " + socket + ": " + answer.body());
    }

    private static MountException noHost(Path socket, String why) {
        return new MountException("no layerfs host listening on " + socket + " (" + why
                + "): start one with `layerfs host`, or mount without -o host");
    }
}
