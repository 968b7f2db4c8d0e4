package dev.layerfs.cli.lxc;

import dev.layerfs.cli.UserError;

import java.nio.file.Path;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A container whose union is served by the running mount host ({@code layerfs host}, one process
 * for every mount) rather than by a daemon of its own: much less memory per container, at the
 * price of fault isolation (a crash of the host ends every container's union). The mount hook
 * then mounts with {@code -o host[=SOCKET]}; with no socket, the host's default one.
 */
public record MountHost(Optional<Path> socket) {

    // The socket path goes into the hook's mount options: ',' '=' and blanks would not survive.
    private static final Pattern SAFE_PATH = Pattern.compile("/[A-Za-z0-9/._+@-]*");

    public MountHost {
        socket.ifPresent(s -> {
            if (!SAFE_PATH.matcher(s.toString()).matches()) {
                throw new UserError("mount host socket '" + s + "' must be an absolute path of letters, digits and / . _ + @ -");
            }
        });
    }

    /** {@code ""} for the default socket, else the socket's path (the value of {@code host=}). */
    public static MountHost parse(String value) {
        return new MountHost(value.isEmpty() ? Optional.empty() : Optional.of(Path.of(value)));
    }

    /** The mount option the hook adds: {@code host} or {@code host=SOCKET}. */
    public String option() {
        return socket.map(s -> "host=" + s).orElse("host");
    }
}
