package dev.layerfs.cli.layerfs;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The class data sharing archive that install.sh records beside the installed jars
 * ({@code layerfs.jsa}, from a training mount): a mount daemon started with it maps the classes
 * it needs instead of loading and verifying them, which is most of a JVM's start-up.
 */
final class ClassDataArchive {

    static final String FILE_NAME = "layerfs.jsa";

    private ClassDataArchive() {
    }

    /**
     * JVM options that use the archive next to the jar holding this class, if there is one.
     * A stale archive (jars replaced since) is ignored by the JVM; its warning is silenced, since
     * the daemon's output is the mount's log.
     */
    static List<String> jvmOptions() {
        return find().map(a -> List.of("-XX:SharedArchiveFile=" + a, "-Xlog:cds=off,cds+dynamic=off"))
                .orElse(List.of());
    }

    static Optional<Path> find() {
        try {
            Path jar = Path.of(ClassDataArchive.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            Path archive = jar.resolveSibling(FILE_NAME);
            return Files.isRegularFile(jar) && Files.isReadable(archive) ? Optional.of(archive) : Optional.empty();
        } catch (URISyntaxException | RuntimeException e) {
            return Optional.empty(); // no archive: the daemon starts as before, only slower
        }
    }
}
