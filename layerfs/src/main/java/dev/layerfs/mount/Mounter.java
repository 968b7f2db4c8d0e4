package dev.layerfs.mount;

import dev.layerfs.sys.Fs;

import java.nio.file.Path;

/** Serves a union in the foreground: from opening the branches to the unmount. */
public final class Mounter {

    private Mounter() {
    }

    public static boolean runningAsRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    /** Mounts {@code mountPoint} and blocks until it is unmounted. */
    public static void serve(Path mountPoint, MountOptions options, boolean debug) {
        try (MountSession session = MountSession.open(mountPoint, options, debug)) {
            Fs.umask(0); // modes arrive from the kernel with the caller's umask applied already
            session.serve();
        }
    }
}
