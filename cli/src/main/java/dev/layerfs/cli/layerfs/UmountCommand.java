package dev.layerfs.cli.layerfs;

import dev.layerfs.cli.UserError;
import dev.layerfs.mount.MountException;
import dev.layerfs.mount.Unmounter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;

/** {@code layerfs umount MOUNTPOINT}: unmounts (fusermount -u) and waits for the daemon to exit. */
@Command(name = "umount", mixinStandardHelpOptions = true,
        description = "Unmount a layerfs union; the daemon serving it exits.")
public final class UmountCommand implements Callable<Integer> {

    private static final Duration DAEMON_EXIT_TIMEOUT = Duration.ofSeconds(15);

    @Parameters(index = "0", paramLabel = "MOUNTPOINT")
    Path mountPoint;

    @Override
    public Integer call() {
        try {
            Unmounter.unmount(mountPoint, DAEMON_EXIT_TIMEOUT);
        } catch (MountException e) {
            throw new UserError(e.getMessage(), e);
        }
        return 0;
    }
}
