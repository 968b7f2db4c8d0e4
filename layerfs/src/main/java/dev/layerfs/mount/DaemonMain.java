package dev.layerfs.mount;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The background mount daemon as {@code layerfs mount} starts it:
 * {@code java ... dev.layerfs.mount.DaemonMain [-d] [--pid-file FILE] OPTIONS MOUNTPOINT}, with the options already
 * checked and written out in full by the command. It bypasses the command-line parser on purpose:
 * building picocli's model of every layerfs command took about a third of the daemon's start-up
 * (0.3 of 0.8 s), and picocli's classes (Java 5 class files) cannot go into the class data archive.
 * A failure is one line, {@code layerfs: WHY}, which {@code layerfs mount} relays, and exit 1.
 */
public final class DaemonMain {

    private DaemonMain() {
    }

    public static void main(String[] args) {
        List<String> a = new java.util.ArrayList<>(List.of(args));
        boolean debug = a.remove("-d");
        Optional<Path> pidFile = Optional.empty();
        int at = a.indexOf("--pid-file");
        if (at >= 0 && at + 1 < a.size()) {
            pidFile = Optional.of(Path.of(a.remove(at + 1)));
            a.remove(at);
        }
        if (a.size() != 2) {
            System.err.println("usage: DaemonMain [-d] [--pid-file FILE] OPTIONS MOUNTPOINT (started by layerfs mount;"
                    + " layerfs mount -f serves in the foreground)");
            System.exit(2);
        }
        String options = a.get(0);
        Path mountPoint = Path.of(a.get(1));
        try {
            if (pidFile.isPresent()) { // tells layerfs mount that this daemon lives (see Daemon)
                Files.writeString(pidFile.get(), ProcessHandle.current().pid() + "\n");
            }
            MountOptions parsed = MountOptions.parse(List.of(options), Path.of("/"));
            Mounter.serve(MountCheck.check(mountPoint, parsed), parsed, debug);
        } catch (IOException | RuntimeException e) {
            System.err.println("layerfs: " + (e.getMessage() != null ? e.getMessage() : e.toString()));
            if (System.getenv("LAYERFS_DEBUG") != null) {
                e.printStackTrace();
            }
            System.exit(1);
        }
        System.exit(0);
    }
}
