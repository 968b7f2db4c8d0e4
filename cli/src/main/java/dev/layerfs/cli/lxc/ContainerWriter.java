package dev.layerfs.cli.lxc;

import dev.layerfs.cli.UserError;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Writes a container's directory: the LXC config and the layerfs hooks filled from the
 * templates, the union's options, the rootfs mountpoint and, for a container made from an
 * image, its private writable branch and the image it came from.
 *
 * <p>All of it is written into a temporary directory beside the final one and renamed into
 * place in one step, so a failure or a crash never leaves a half-made container that LXC
 * would list.
 */
public final class ContainerWriter {

    private static final Logger log = LoggerFactory.getLogger(ContainerWriter.class);

    static final String CONFIG_TEMPLATE = "layerfs-container.conf.in";
    static final String MOUNT_HOOK_TEMPLATE = "layerfs-mount-hook.in";
    static final String UMOUNT_HOOK_TEMPLATE = "layerfs-umount-hook.in";
    static final String LEASE_HOOK_TEMPLATE = "imaged-lease-hook.in";

    private final TemplateStore templates;
    private final Path layerfsLauncher;
    private final String generator;

    /**
     * @param layerfsLauncher the absolute path of the {@code layerfs} launcher the hooks run:
     *                        LXC runs hooks with whatever PATH lxc-start had
     * @param generator       the command that made the container, named in the files' headers
     */
    public ContainerWriter(TemplateStore templates, Path layerfsLauncher, String generator) {
        this.templates = templates;
        this.layerfsLauncher = layerfsLauncher.toAbsolutePath();
        this.generator = generator;
    }

    /** What goes into a new container's directory besides config and hooks. */
    public record Contents(UnionDirs union, boolean privateBranch, Optional<String> image, Optional<LeaseFiles> lease,
                           Optional<MountHost> mountHost) {

        /** A container over branches the user named. */
        public static Contents overBranches(UnionDirs union) {
            return new Contents(union, false, Optional.empty(), Optional.empty(), Optional.empty());
        }

        /** A container from an image: a private branch {@code delta/} and the image's record. */
        public static Contents fromImage(UnionDirs union, String imageRecord) {
            return new Contents(union, true, Optional.of(imageRecord), Optional.empty(), Optional.empty());
        }

        /** The same with a lease per container name: {@code imaged.lease} and the hook that takes it. */
        public Contents withLease(ContainerLease lease, Path imagedLauncher) {
            return new Contents(union, privateBranch, image, Optional.of(new LeaseFiles(lease, imagedLauncher.toAbsolutePath())),
                    mountHost);
        }

        /** The same, its union served by the mount host. */
        public Contents withMountHost(Optional<MountHost> host) {
            return new Contents(union, privateBranch, image, lease, host);
        }

        /** The union's mount options, as the mount hook reads them from {@code layerfs.options}. */
        String mountOptions() {
            return union.option() + mountHost.map(h -> "," + h.option()).orElse("");
        }
    }

    /** A container's lease settings and the {@code imaged} launcher its lease hook runs. */
    public record LeaseFiles(ContainerLease lease, Path imagedLauncher) {
    }

    /**
     * Fails now for what would make {@link #create} fail, so that a command can check before a
     * long pull: a name taken, an lxcpath that is not a directory we can write in.
     */
    public static void checkCanCreate(ContainerDir container) {
        checkFree(container);
        try {
            Files.delete(Files.createTempDirectory(container.lxcpath(), "." + container.name() + ".probe-"));
        } catch (IOException e) {
            throw new UserError("cannot write in lxcpath " + container.lxcpath() + ": " + reason(e), e);
        }
    }

    private static void checkFree(ContainerDir container) {
        if (!Files.isDirectory(container.lxcpath())) {
            throw new UserError("lxcpath " + container.lxcpath() + " is not a directory");
        }
        if (Files.exists(container.dir())) {
            throw new UserError("container " + container.name() + " already exists in " + container.lxcpath());
        }
    }

    public void create(ContainerDir container, Contents contents) {
        Path lxcpath = container.lxcpath();
        checkFree(container);
        Map<String, String> values = new java.util.HashMap<>(Map.of(
                "NAME", container.name().value(),
                "DIR", container.dir().toString(),
                "ROOTFS", container.rootfs().toString(),
                "LXCPATH", lxcpath.toString(),
                "LXCPATH_OPTION", container.lxcpathOption(),
                "LAYERFS", layerfsLauncher.toString(),
                "GENERATOR", generator));
        contents.lease().ifPresent(l -> values.put("IMAGED", l.imagedLauncher().toString()));
        // Fill every template before touching the disk: a broken template changes nothing.
        String config = templates.read(CONFIG_TEMPLATE).fill(values);
        String mountHook = templates.read(MOUNT_HOOK_TEMPLATE).fill(values);
        String umountHook = templates.read(UMOUNT_HOOK_TEMPLATE).fill(values);
        Optional<String> leaseHook = contents.lease().map(l -> templates.read(LEASE_HOOK_TEMPLATE).fill(values));

        Path temp;
        try {
            temp = Files.createTempDirectory(lxcpath, "." + container.name() + ".new-");
        } catch (IOException e) {
            throw new UserError("cannot write in lxcpath " + lxcpath + ": " + reason(e), e);
        }
        try {
            Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rwxr-x---"));
            write(temp.resolve(container.config().getFileName()), config, "rw-r--r--");
            write(temp.resolve(container.options().getFileName()), contents.mountOptions() + "\n", "rw-r--r--");
            write(temp.resolve(container.mountHook().getFileName()), mountHook, "rwxr-xr-x");
            write(temp.resolve(container.umountHook().getFileName()), umountHook, "rwxr-xr-x");
            Files.createDirectory(temp.resolve(container.rootfs().getFileName()));
            if (contents.privateBranch()) {
                Path delta = Files.createDirectory(temp.resolve(container.delta().getFileName()));
                Files.setPosixFilePermissions(delta, PosixFilePermissions.fromString("rwxr-xr-x"));
            }
            if (contents.image().isPresent()) {
                write(temp.resolve(container.imageFile().getFileName()), contents.image().get(), "rw-r--r--");
            }
            if (leaseHook.isPresent()) {
                // The hooks only take and renew the lease when both files are there.
                write(temp.resolve(container.leaseFile().getFileName()), contents.lease().get().lease().toText(), "rw-r--r--");
                write(temp.resolve(container.leaseHook().getFileName()), leaseHook.get(), "rwxr-xr-x");
            }
            syncDirectory(temp);
            Files.move(temp, container.dir(), StandardCopyOption.ATOMIC_MOVE);
            syncDirectory(lxcpath);
        } catch (FileAlreadyExistsException | DirectoryNotEmptyException e) {
            deleteQuietly(temp);
            throw new UserError("container " + container.name() + " already exists in " + lxcpath);
        } catch (IOException | RuntimeException e) {
            deleteQuietly(temp);
            if (e instanceof UserError u) {
                throw u;
            }
            throw new UserError("cannot create container " + container.name() + " in " + lxcpath + ": " + reason(e), e);
        }
        log.debug("created container {} in {} over {}", container.name(), lxcpath, contents.union().option());
    }

    /** Written and synced: after a crash the renamed directory never holds an empty config. */
    private static void write(Path file, String text, String mode) throws IOException {
        try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ByteBuffer bytes = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
            while (bytes.hasRemaining()) {
                out.write(bytes);
            }
            out.force(true);
        }
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(mode));
    }

    private static void syncDirectory(Path dir) throws IOException {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        }
    }

    /** Why, without the temporary file names the user never asked for. */
    private static String reason(Exception e) {
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof FileSystemException f && f.getReason() != null) {
            return f.getReason();
        }
        return e.getMessage() != null ? e.getMessage() : e.toString();
    }

    static void deleteQuietly(Path tree) {
        try (Stream<Path> walk = Files.walk(tree)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.delete(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException | UncheckedIOException e) {
            log.warn("could not remove {}: {}", tree, e.getMessage());
        }
    }
}
