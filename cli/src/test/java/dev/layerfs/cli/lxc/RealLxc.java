package dev.layerfs.cli.lxc;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** What the container tests need from the host, and their cleanup. */
final class RealLxc {

    private RealLxc() {
    }

    static void assumeAvailable() {
        assumeTrue("root".equals(System.getProperty("user.name")),
                "SKIPPED: LXC containers and FUSE mounts need root; run the tests as root");
        assumeTrue(Host.onPath("lxc-execute") && Host.onPath("lxc-start"),
                "SKIPPED: LXC is not installed (no lxc-execute on PATH): run ./install.sh or apt-get install lxc");
        assumeTrue(Files.exists(Path.of("/dev/fuse")),
                "SKIPPED: /dev/fuse is missing: this host cannot mount FUSE filesystems");
        assumeTrue(BusyboxRootfs.available(),
                "SKIPPED: no static busybox to build a container rootfs: apt-get install busybox-static");
    }

    /** Kills every container under lxcpath that still runs; their post-stop hooks unmount. */
    static void stopAll(Path lxcpath) {
        try (Stream<Path> dirs = Files.list(lxcpath)) {
            dirs.filter(d -> Files.isRegularFile(d.resolve("config"))).forEach(d ->
                    Host.run("lxc-stop", "-P", lxcpath.toString(), "-n", d.getFileName().toString(), "-k"));
        } catch (IOException e) {
            // nothing to stop
        }
    }
}
