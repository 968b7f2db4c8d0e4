package dev.layerfs.testing;

import dev.layerfs.mount.MountOptions;
import dev.layerfs.mount.Mounter;

import java.nio.file.Path;
import java.util.List;

/**
 * A layerfs mount daemon as its own process, for tests that must kill it (kill -9) the way a
 * crash would: {@code java -cp <test classpath> dev.layerfs.testing.MountMain MOUNTPOINT DIRS}
 * serves the union in the foreground through the same path as {@code layerfs mount -f}.
 */
public final class MountMain {

    private MountMain() {
    }

    public static void main(String[] args) {
        if (args.length != 2) {
            System.err.println("usage: MountMain MOUNTPOINT /upper=rw:/lower=ro");
            System.exit(2);
        }
        Path cwd = Path.of("").toAbsolutePath();
        List<String> options = new java.util.ArrayList<>(List.of("dirs=" + args[1]));
        LiveUnion.engineOption().ifPresent(options::add);
        Mounter.serve(Path.of(args[0]), MountOptions.parse(options, cwd), false);
    }
}
