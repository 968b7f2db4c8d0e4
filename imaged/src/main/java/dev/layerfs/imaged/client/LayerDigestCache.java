package dev.layerfs.imaged.client;

import dev.layerfs.imaged.layer.PackedLayer;
import dev.layerfs.imaged.oci.Digest;
import dev.layerfs.imaged.oci.MediaTypes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The digests of layer tars this user pushed, keyed by what says a file is unchanged: its path,
 * device and inode, size, modification and change times (the change time moves on every write,
 * even one that puts the modification time back). A push asks the registry for a known digest
 * first and sends nothing when it has the blob, instead of re-reading and re-sending the tar to
 * learn its digest at the end. Chosen over a hashing pass before every upload: a lookup costs
 * one stat, while hashing a 500 MB tar costs ~0.4 s of CPU on every push, new tars included, and
 * the upload digests it anyway.
 *
 * <p>One small file per tar under {@code $XDG_CACHE_HOME/imaged/layer-digests} (else
 * {@code ~/.cache/...}), written whole and renamed into place. An entry is only a hint: a
 * missing, stale or unreadable one just means the tar is read and sent.
 */
public final class LayerDigestCache {

    private static final Logger LOG = LoggerFactory.getLogger(LayerDigestCache.class);
    private static final String ATTRIBUTES = "unix:dev,ino,size,lastModifiedTime,ctime";

    private final Optional<Path> dir;

    /** What a tar was found to be, and the repository it was last pushed to. */
    public record Known(PackedLayer layer, String repository) {
    }

    private LayerDigestCache(Optional<Path> dir) {
        this.dir = dir;
    }

    /** Keeps entries in {@code dir} (created when first written). */
    public static LayerDigestCache in(Path dir) {
        return new LayerDigestCache(Optional.of(dir));
    }

    /** Remembers nothing: every push reads and sends its tar. */
    public static LayerDigestCache none() {
        return new LayerDigestCache(Optional.empty());
    }

    /** This user's cache directory. */
    public static LayerDigestCache forUser() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() && Path.of(xdg).isAbsolute()
                ? Path.of(xdg)
                : Path.of(System.getProperty("user.home"), ".cache");
        return in(base.resolve("imaged").resolve("layer-digests"));
    }

    /** What the file looks like now, to compare with what it looked like when it was digested. */
    public static Optional<String> stamp(Path tar) {
        try {
            Map<String, Object> a = Files.readAttributes(tar.toAbsolutePath(), ATTRIBUTES);
            return Optional.of(a.get("dev") + "/" + a.get("ino") + "/" + a.get("size") + "/"
                    + nanos(a.get("lastModifiedTime")) + "/" + nanos(a.get("ctime")));
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return Optional.empty(); // no unix attributes here: nothing is cached
        }
    }

    private static String nanos(Object time) {
        return ((FileTime) time).toInstant().toString();
    }

    /** The layer {@code tar} was found to be when it last had exactly its current stamp. */
    public Optional<Known> lookup(Path tar) {
        Optional<String> stamp = stamp(tar);
        if (dir.isEmpty() || stamp.isEmpty()) {
            return Optional.empty();
        }
        Path entry = entryFor(tar);
        try {
            String[] f = Files.readString(entry, StandardCharsets.UTF_8).trim().split(" ");
            if (f.length != 6 || !f[0].equals(stamp.get())) {
                return Optional.empty();
            }
            String mediaType = f[4];
            if (!mediaType.equals(MediaTypes.OCI_LAYER_TAR) && !mediaType.equals(MediaTypes.OCI_LAYER_TAR_GZIP)) {
                return Optional.empty();
            }
            return Optional.of(new Known(new PackedLayer(tar, Digest.parse(f[1]), Long.parseLong(f[2]), Digest.parse(f[3]), mediaType),
                    f[5]));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException | RuntimeException e) {
            LOG.debug("ignoring unreadable layer digest cache entry {}: {}", entry, e.toString());
            return Optional.empty();
        }
    }

    /**
     * Records what {@code layer.file()} was found to be and where it was pushed, if its stamp is
     * still {@code before} (the stamp taken before it was read: a tar changed while it was read is
     * not recorded).
     */
    public void remember(PackedLayer layer, String repository, Optional<String> before) {
        Optional<String> now = stamp(layer.file());
        if (dir.isEmpty() || before.isEmpty() || !before.equals(now)) {
            return;
        }
        Path entry = entryFor(layer.file());
        try {
            Files.createDirectories(entry.getParent());
            Path temp = Files.createTempFile(entry.getParent(), ".entry-", ".tmp");
            try {
                Files.writeString(temp, String.join(" ", now.get(), layer.digest().toString(), Long.toString(layer.size()),
                        layer.diffId().toString(), layer.mediaType(), repository) + "\n", StandardCharsets.UTF_8);
                try {
                    Files.move(temp, entry, StandardCopyOption.ATOMIC_MOVE);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(temp, entry, StandardCopyOption.REPLACE_EXISTING);
                }
            } finally {
                Files.deleteIfExists(temp);
            }
        } catch (IOException e) {
            LOG.debug("cannot record the digest of {} in {}: {}", layer.file(), entry, e.toString());
        }
    }

    private Path entryFor(Path tar) {
        return dir.orElseThrow().resolve(Digest.of(tar.toAbsolutePath().normalize().toString().getBytes(StandardCharsets.UTF_8)).hex());
    }
}
