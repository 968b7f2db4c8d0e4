package dev.layerfs.imaged.layer;

import dev.layerfs.imaged.oci.Digest;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The local store of unpacked layers: one directory per layer blob digest,
 * {@code <root>/sha256/<hex>/}, unpacked once and then used read-only as a layerfs branch by
 * every container built on it.
 *
 * <p>A layer directory exists only once complete (the unpacker renames a finished tree into
 * place). Unpacking the same layer from several threads or processes at once is serialised by a
 * lock file per digest, so it happens once; the losers find the directory there and use it.
 */
public final class LayerStore {

    private static final Logger LOG = LoggerFactory.getLogger(LayerStore.class);

    /** File locks are per process; threads of one JVM queue on these first. */
    private static final ConcurrentHashMap<Path, ReentrantLock> THREAD_LOCKS = new ConcurrentHashMap<>();

    /** Opens the layer's archive bytes; called only when the layer still has to be unpacked. */
    @FunctionalInterface
    public interface ArchiveSource {
        InputStream open() throws IOException;
    }

    private final Path root;
    private final LayerUnpacker unpacker;

    public LayerStore(Path root) {
        this(root, new LayerUnpacker());
    }

    public LayerStore(Path root, LayerUnpacker unpacker) {
        this.root = root.toAbsolutePath().normalize();
        this.unpacker = unpacker;
    }

    public Path root() {
        return root;
    }

    /** Where the layer with this blob digest lives (whether or not it is there yet). */
    public Path pathOf(Digest digest) {
        return root.resolve(digest.algorithm()).resolve(digest.hex());
    }

    /** The layer's directory, if it has been unpacked. */
    public Optional<Path> find(Digest digest) {
        Path dir = pathOf(digest);
        return Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS) ? Optional.of(dir) : Optional.empty();
    }

    /**
     * Returns the layer's directory, unpacking it from {@code source} first if no one has yet.
     * With {@code diffId}, the uncompressed content must have that digest or nothing is stored.
     */
    public Path ensure(Digest digest, Optional<Digest> diffId, ArchiveSource source) throws IOException {
        return ensure(digest, diffId, source, false);
    }

    /**
     * As {@link #ensure(Digest, Optional, ArchiveSource)}; with {@code sourceVerifies}, the
     * source's stream itself fails before its end unless its bytes have {@code digest} (a
     * verifying download), so a plain tar's diff_id is not computed a second time.
     */
    public Path ensure(Digest digest, Optional<Digest> diffId, ArchiveSource source, boolean sourceVerifies) throws IOException {
        Optional<Path> present = find(digest);
        if (present.isPresent()) {
            return present.get();
        }
        Path dir = pathOf(digest);
        Files.createDirectories(dir.getParent());
        Path lockFile = dir.resolveSibling("." + digest.hex() + ".lock");
        ReentrantLock threadLock = THREAD_LOCKS.computeIfAbsent(lockFile, k -> new ReentrantLock());
        threadLock.lock();
        try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock ignored = channel.lock()) {
            present = find(digest);
            if (present.isPresent()) {
                LOG.debug("layer {} was unpacked meanwhile by another puller", digest);
                return present.get();
            }
            removeLeftovers(digest);
            try (InputStream in = source.open()) {
                unpacker.unpack(in, dir, diffId, sourceVerifies ? Optional.of(digest) : Optional.empty());
            }
            LOG.debug("unpacked layer {} into {}", digest, dir);
            return dir;
        } finally {
            threadLock.unlock();
        }
    }

    /** Temp trees of an unpack that died with its process; safe to remove under the digest's lock. */
    private void removeLeftovers(Digest digest) throws IOException {
        try (DirectoryStream<Path> leftovers = Files.newDirectoryStream(pathOf(digest).getParent(),
                "." + digest.hex() + ".unpack-*")) {
            for (Path leftover : leftovers) {
                LOG.warn("removing {} left by an interrupted unpack", leftover);
                LayerUnpacker.deleteTree(leftover);
            }
        }
    }
}
