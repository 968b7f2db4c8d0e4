package dev.layerfs.cli.layerfs;

import dev.layerfs.cli.UserError;
import dev.layerfs.host.HostClient;
import dev.layerfs.host.MountHost;
import dev.layerfs.mount.MountException;
import dev.layerfs.mount.RunFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * {@code layerfs host}: one process serving many unions ({@code layerfs mount -o host,...}), in
 * the foreground until stopped (a systemd service, see examples/systemd/layerfs-host.service);
 * {@code layerfs host status} lists what it serves.
 */
@Command(name = "host", mixinStandardHelpOptions = true, subcommands = HostCommand.Status.class,
        description = {"Serve many unions from one process: mounts made with -o host go to it.",
                "Example: layerfs host &   layerfs mount -o host,dirs=/ct/delta=rw:/images/base=ro /ct/rootfs"},
        footer = {"Runs in the foreground until stopped; stopping it (or a crash) unmounts every union it",
                "serves, lazily: one process is one point of failure for all of them, which is why",
                "it is opt-in. Each mount is ended on its own by layerfs umount, fusermount -u or",
                "umount; layerfs branch works on hosted mounts as on any other. Only root (or the",
                "host's user) may ask it to mount. Names are bytes: the JVM needs",
                "-Dfile.encoding=ISO-8859-1 (the installed launcher adds it, and -Xms8m, for layerfs host)."})
public final class HostCommand implements Callable<Integer> {

    @Option(names = "--socket", paramLabel = "PATH", description = "Where to listen (default: /run/layerfs/host.sock).")
    Path socket;

    @Override
    public Integer call() throws InterruptedException {
        if (!Charset.defaultCharset().equals(StandardCharsets.ISO_8859_1)) {
            // a file name that is not valid in the default charset would come out mangled
            throw new UserError("the mount host needs -Dfile.encoding=ISO-8859-1 (file names are bytes; default is "
                    + Charset.defaultCharset() + "): LAYERFS_JAVA_OPTS=-Dfile.encoding=ISO-8859-1 layerfs host");
        }
        MountHost host;
        try {
            host = MountHost.start(socketOrDefault(socket));
        } catch (MountException e) {
            throw new UserError(e.getMessage(), e);
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> host.stop(Duration.ofSeconds(5)), "layerfs-host-stop"));
        new CountDownLatch(1).await(); // serves until the process is stopped
        return 0;
    }

    static Path socketOrDefault(Path socket) {
        return socket != null ? socket.toAbsolutePath() : RunFiles.hostSocket();
    }

    @Command(name = "status", mixinStandardHelpOptions = true, description = "List the mounts the host serves.")
    static final class Status implements Callable<Integer> {

        @Option(names = "--socket", paramLabel = "PATH", description = "Where the host listens (default: /run/layerfs/host.sock).")
        Path socket;

        @Override
        public Integer call() {
            try {
                System.out.print(HostClient.status(socketOrDefault(socket)));
            } catch (MountException e) {
                throw new UserError(e.getMessage(), e);
            }
            return 0;
        }
    }
}
