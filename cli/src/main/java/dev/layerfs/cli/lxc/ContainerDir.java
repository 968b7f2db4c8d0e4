package dev.layerfs.cli.lxc;

import dev.layerfs.cli.UserError;

import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * Where a container's files live: {@code <lxcpath>/<name>/}, the layout {@code lxc-start -P
 * LXCPATH -n NAME} expects, plus the layerfs files beside the config.
 */
public record ContainerDir(Path lxcpath, ContainerName name) {

    /** LXC's default container directory, where lxc-start looks without -P. */
    public static final Path DEFAULT_LXCPATH = Path.of("/var/lib/lxc");

    // LXC runs hook lines through a shell and splits config values on nothing, but a hook path
    // with blanks or shell characters would break there: keep paths to a safe alphabet.
    private static final Pattern SAFE_PATH = Pattern.compile("[A-Za-z0-9/._+@-]+");

    public ContainerDir {
        lxcpath = lxcpath.toAbsolutePath().normalize();
        if (!SAFE_PATH.matcher(lxcpath.toString()).matches()) {
            throw new UserError("lxcpath '" + lxcpath
                    + "' has characters LXC hooks cannot take: use letters, digits and / . _ + @ -");
        }
    }

    public Path dir() {
        return lxcpath.resolve(name.value());
    }

    public Path config() {
        return dir().resolve("config");
    }

    /** The union's mountpoint, which LXC binds as the container's "/". */
    public Path rootfs() {
        return dir().resolve("rootfs");
    }

    /** The union's mount options ({@code dirs=...}), read by the mount hook. */
    public Path options() {
        return dir().resolve("layerfs.options");
    }

    public Path mountHook() {
        return dir().resolve("layerfs-mount-hook");
    }

    public Path umountHook() {
        return dir().resolve("layerfs-umount-hook");
    }

    /** The container's private writable branch, for containers made from an image. */
    public Path delta() {
        return dir().resolve("delta");
    }

    /** The image a container was made from, for containers made from an image. */
    public Path imageFile() {
        return dir().resolve("layerfs.image");
    }

    /** The container's lease settings and last grant (imaged lxc create without --no-lease). */
    public Path leaseFile() {
        return dir().resolve("imaged.lease");
    }

    /** Takes and gives back the lease; run by the mount and umount hooks. */
    public Path leaseHook() {
        return dir().resolve("imaged-lease-hook");
    }

    /** What the lease hook and the renewer did. */
    public Path leaseLog() {
        return dir().resolve("imaged-lease.log");
    }

    /** The pid of the renewer keeping the lease while the container runs. */
    public Path renewerPid() {
        return dir().resolve("imaged-lease.pid");
    }

    /** The lease that makes the name one container cluster-wide. */
    public String leaseName() {
        return "lxc:" + name.value();
    }

    /** True when the default lxcpath is used, so that commands shown to the user can omit -P. */
    public boolean defaultLxcpath() {
        return lxcpath.equals(DEFAULT_LXCPATH);
    }

    /** The {@code -P DIR } part of an lxc-* command line, empty for the default lxcpath. */
    public String lxcpathOption() {
        return defaultLxcpath() ? "" : "-P " + lxcpath + " ";
    }
}
