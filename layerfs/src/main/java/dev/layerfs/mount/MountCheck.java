package dev.layerfs.mount;

import dev.layerfs.branch.Branch;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/** Checks a mount request against the system before anything is mounted. */
public final class MountCheck {

    private MountCheck() {
    }

    /** The mount point's real path, after checking it and the branches; MountException otherwise. */
    public static Path check(Path mountPoint, MountOptions options) {
        Path abs = mountPoint.toAbsolutePath().normalize();
        if (!Files.isDirectory(abs)) {
            throw new MountException("mountpoint " + mountPoint + ": "
                    + (Files.exists(abs, LinkOption.NOFOLLOW_LINKS) ? "not a directory" : "no such directory"));
        }
        Path real;
        try {
            real = abs.toRealPath();
        } catch (IOException e) {
            throw new MountException("mountpoint " + mountPoint + ": " + e.getMessage(), e);
        }
        MountTable.typeAt(real).ifPresent(type -> {
            throw new MountException("mountpoint " + mountPoint + ": already mounted (" + type + ")");
        });
        for (Branch b : options.branches().branches()) {
            if (b.dir().startsWith(real)) {
                throw new MountException("branch " + b.dir() + " is inside the mountpoint " + real);
            }
            if (real.startsWith(b.dir())) {
                // the union would contain itself: a lookup through the branch would re-enter the mount
                throw new MountException("mountpoint " + real + " is inside the branch " + b.dir());
            }
        }
        return real;
    }
}
