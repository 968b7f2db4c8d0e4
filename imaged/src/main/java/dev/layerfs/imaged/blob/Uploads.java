package dev.layerfs.imaged.blob;

import dev.layerfs.imaged.oci.Digest;
import dev.layerfs.imaged.oci.ErrorCode;
import dev.layerfs.imaged.oci.RegistryException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.security.MessageDigest;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Upload sessions, kept on disk ({@code <dir>/<id>/data} and {@code repository}) so that a
 * Location handed to a client stays valid across requests and restarts of this node. An id is
 * {@code <node>-<uuid>}: any node can tell which node owns the session's bytes.
 * Chunks must arrive in order: a chunk that does not start at the current size is refused with 416.
 *
 * <p>Each chunk is digested as it is written, and the running digest is kept in memory with the
 * byte count it covers, so finishing an upload needs no read-back of the data. The running
 * digest is used only while that count still equals the data file's size; otherwise (after a
 * restart of this node, or a chunk that failed half-way) it is rebuilt from the file.
 */
public final class Uploads {

    private static final Logger LOG = LoggerFactory.getLogger(Uploads.class);

    private static final Pattern ID = Pattern.compile(
            "([A-Za-z0-9][A-Za-z0-9_.-]{0,63})-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})");

    private final Path dir;
    private final BlobStore store;
    private final String nodeId;
    private final ConcurrentHashMap<String, Object> locks = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, RunningDigest> digests = new ConcurrentHashMap<>();

    /** The sha256 state of an upload's first {@code size} bytes. */
    private record RunningDigest(MessageDigest md, long size) {
    }

    public Uploads(BlobStore store, String nodeId) throws IOException {
        this.store = store;
        this.nodeId = nodeId;
        this.dir = store.sameFileSystemDir("uploads");
    }

    /** Drops sessions untouched for longer than {@code age} (abandoned pushes); returns how many. */
    public int purgeOlderThan(Duration age) throws IOException {
        Instant cutoff = Instant.now().minus(age);
        int purged = 0;
        try (DirectoryStream<Path> sessions = Files.newDirectoryStream(dir)) {
            for (Path s : sessions) {
                Path data = s.resolve("data");
                Path marker = Files.exists(data) ? data : s;
                if (Files.getLastModifiedTime(marker).toInstant().isBefore(cutoff)) {
                    deleteSession(s);
                    digests.remove(s.getFileName().toString());
                    purged++;
                }
            }
        }
        return purged;
    }

    /** The node that owns an upload id, or empty when the id is malformed. */
    public static Optional<String> ownerOf(String id) {
        Matcher m = ID.matcher(id);
        return m.matches() ? Optional.of(m.group(1)) : Optional.empty();
    }

    public Upload start(String repository) throws IOException {
        String id = nodeId + "-" + UUID.randomUUID();
        Path session = Files.createDirectories(dir.resolve(id));
        Files.write(session.resolve("data"), new byte[0]);
        Files.writeString(session.resolve("repository"), repository, StandardCharsets.UTF_8);
        return new Upload(id, repository, 0);
    }

    public Optional<Upload> find(String id) throws IOException {
        Optional<Path> session = sessionDir(id);
        if (session.isEmpty()) {
            return Optional.empty();
        }
        Path s = session.get();
        String repository = Files.readString(s.resolve("repository"), StandardCharsets.UTF_8);
        return Optional.of(new Upload(id, repository, Files.size(s.resolve("data"))));
    }

    /**
     * Appends a chunk. {@code start} is the first byte's offset from Content-Range, or -1 when the
     * client sent none (then the chunk simply follows). Returns the session's new size.
     */
    public long append(String repository, String id, long start, InputStream in) throws IOException {
        synchronized (lockOf(id)) {
            Upload upload = require(repository, id);
            if (start >= 0 && start != upload.size()) {
                throw new RegistryException(ErrorCode.BLOB_UPLOAD_INVALID, 416,
                        "chunk for upload " + id + " starts at " + start + " but " + upload.size() + " bytes were received",
                        "0-" + Math.max(0, upload.size() - 1));
            }
            Path data = dir.resolve(id).resolve("data");
            MessageDigest md = runningDigest(id, data).md();
            digests.remove(id); // until this chunk is wholly written, the state matches no file size
            try (FileChannel out = FileChannel.open(data, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
                DigestingCopy.copy(in, out, md);
            }
            long size = Files.size(data);
            digests.put(id, new RunningDigest(md, size));
            return size;
        }
    }

    /** The digest state covering all of {@code data}: the kept one, or rebuilt by reading the file. */
    private RunningDigest runningDigest(String id, Path data) throws IOException {
        long size = Files.size(data);
        RunningDigest kept = digests.get(id);
        if (kept != null && kept.size() == size) {
            return kept;
        }
        MessageDigest md = Digest.sha256();
        try (InputStream in = Files.newInputStream(data)) {
            byte[] buf = new byte[DigestingCopy.BUFFER];
            for (int n; (n = in.readNBytes(buf, 0, buf.length)) > 0; ) {
                md.update(buf, 0, n);
            }
        }
        LOG.debug("upload {}: digest of its {} bytes so far rebuilt from {}", id, size, data);
        return new RunningDigest(md, size);
    }

    /** Appends the last chunk, verifies the digest and moves the data into the blob store. */
    public StoredBlob finish(String repository, String id, long start, Digest digest, InputStream tail) throws IOException {
        synchronized (lockOf(id)) {
            append(repository, id, start, tail);
            Path session = dir.resolve(id);
            Path data = session.resolve("data");
            MessageDigest md = runningDigest(id, data).md();
            Digest actual;
            try {
                actual = Digest.fromMessageDigest((MessageDigest) md.clone()); // the state stays usable if refused
            } catch (CloneNotSupportedException e) {
                throw new IllegalStateException("sha256 state cannot be copied", e);
            }
            StoredBlob stored = store.adopt(data, digest, actual);
            deleteSession(session);
            forget(id);
            return stored;
        }
    }

    public void cancel(String repository, String id) throws IOException {
        synchronized (lockOf(id)) {
            require(repository, id);
            deleteSession(dir.resolve(id));
            forget(id);
        }
    }

    private void forget(String id) {
        digests.remove(id);
        locks.remove(id);
    }

    private Upload require(String repository, String id) throws IOException {
        Upload upload = find(id).orElseThrow(() -> unknown(id));
        if (!upload.repository().equals(repository)) {
            throw unknown(id);
        }
        return upload;
    }

    private Optional<Path> sessionDir(String id) {
        if (!ID.matcher(id).matches()) {
            return Optional.empty();
        }
        Path s = dir.resolve(id);
        return Files.isRegularFile(s.resolve("data")) && Files.isRegularFile(s.resolve("repository"))
                ? Optional.of(s) : Optional.empty();
    }

    /** The session's lock; an id naming no session is refused first, so unknown ids never grow the map. */
    private Object lockOf(String id) {
        if (sessionDir(id).isEmpty()) {
            throw unknown(id);
        }
        return locks.computeIfAbsent(id, k -> new Object());
    }

    private static RegistryException unknown(String id) {
        return new RegistryException(ErrorCode.BLOB_UPLOAD_UNKNOWN, "no upload session " + id);
    }

    private static void deleteSession(Path session) throws IOException {
        if (!Files.exists(session)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(session)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
