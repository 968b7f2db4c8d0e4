package dev.layerfs.cli.lxc;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Finds the templates of {@code lxc-configs/}: first in a directory on disk, which an admin may
 * edit (install.sh copies them to {@code $PREFIX/share/layerfs/lxc-configs}), then in the jar,
 * where the build puts the same files.
 */
public final class TemplateStore {

    private static final Logger log = LoggerFactory.getLogger(TemplateStore.class);

    /** Overrides where the templates are looked for first (tests, custom installs). */
    public static final String DIR_ENV = "LAYERFS_LXC_CONFIGS";

    private final Optional<Path> dir;

    public TemplateStore(Optional<Path> dir) {
        this.dir = dir;
    }

    /** $LAYERFS_LXC_CONFIGS, else the share directory beside the installed jars. */
    public static TemplateStore installed() {
        String env = System.getenv(DIR_ENV);
        if (env != null && !env.isBlank()) {
            return new TemplateStore(Optional.of(Path.of(env)));
        }
        return new TemplateStore(installDir());
    }

    /** The jars sit in $PREFIX/lib/layerfs; the templates in $PREFIX/share/layerfs/lxc-configs. */
    private static Optional<Path> installDir() {
        try {
            Path jar = Path.of(TemplateStore.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            Path prefix = jar.getParent(); // lib/layerfs, then lib, then the prefix
            for (int up = 0; up < 2 && prefix != null; up++) {
                prefix = prefix.getParent();
            }
            if (prefix == null) {
                return Optional.empty();
            }
            Path share = prefix.resolve("share/layerfs/lxc-configs");
            return Files.isDirectory(share) ? Optional.of(share) : Optional.empty();
        } catch (URISyntaxException | RuntimeException e) {
            return Optional.empty();
        }
    }

    public Template read(String name) {
        if (dir.isPresent()) {
            Path file = dir.get().resolve(name);
            if (Files.isRegularFile(file)) {
                try {
                    log.debug("template {} from {}", name, file);
                    return new Template(name, file.toString(), Files.readString(file));
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot read template " + file, e);
                }
            }
        }
        String resource = "/lxc-configs/" + name;
        try (InputStream in = TemplateStore.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("template " + name + " is neither in "
                        + dir.map(Path::toString).orElse("an lxc-configs directory") + " nor in the jar (" + resource + ")");
            }
            log.debug("template {} from the jar", name);
            return new Template(name, "jar:" + resource, new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read template " + resource + " from the jar", e);
        }
    }
}
