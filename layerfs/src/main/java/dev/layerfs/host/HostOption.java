package dev.layerfs.host;

import dev.layerfs.mount.MountException;
import dev.layerfs.mount.RunFiles;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * {@code -o host} (or {@code host=SOCKET}): the mount is to be served by the running mount host
 * instead of a daemon of its own. Taken out of the option lists before they are parsed; the
 * host serves the wire engine only, so {@code engine=wire} is added unless another engine was
 * asked for, which is refused.
 *
 * @param socket  where the host listens
 * @param options the remaining option lists, {@code engine=wire} included
 */
public record HostOption(Path socket, List<String> options) {

    public HostOption {
        options = List.copyOf(options);
    }

    /** The host option among {@code optionLists}, if there is one; relative socket paths against {@code cwd}. */
    public static Optional<HostOption> take(List<String> optionLists, Path cwd) {
        Path socket = null;
        String engine = null;
        List<String> rest = new ArrayList<>();
        for (String list : optionLists) {
            List<String> kept = new ArrayList<>();
            for (String opt : list.split(",")) {
                if (opt.equals("host") || opt.startsWith("host=")) {
                    if (socket != null) {
                        throw new MountException("host given twice: " + opt);
                    }
                    String value = opt.equals("host") ? "" : opt.substring(5);
                    socket = value.isEmpty() ? RunFiles.hostSocket() : cwd.resolve(value).normalize();
                    continue;
                }
                if (opt.startsWith("engine=")) {
                    engine = opt;
                }
                kept.add(opt);
            }
            if (!kept.isEmpty()) {
                rest.add(String.join(",", kept));
            }
        }
        if (socket == null) {
            return Optional.empty();
        }
        if (engine == null) {
            rest.add("engine=wire");
        } else if (!engine.equals("engine=wire")) {
            throw new MountException("the mount host serves engine=wire only, not " + engine);
        }
        return Optional.of(new HostOption(socket, rest));
    }
}
