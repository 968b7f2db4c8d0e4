package dev.layerfs.imaged.layer;

import dev.layerfs.imaged.oci.Digest;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Unpacks a layer tar (gzip-compressed or not) into a fresh directory, refusing anything that
 * could write outside it or that is damaged.
 *
 * <p>All work happens in a private temp directory beside the target; only a complete,
 * verified, synced tree is renamed into place, and on any refusal or error the temp directory
 * is removed: the target never exists half-unpacked. Safety does not rely on string checks
 * alone: every parent component of every entry is checked with lstat to be a real directory
 * created by this archive, so no entry is ever written through a symlink, and files are
 * created with O_EXCL so none is written through a symlink at the last component either.
 * Whiteouts ({@code .wh.NAME}, {@code .wh..wh..opq}) stay the empty files they are: layerfs
 * reads them directly.
 */
public final class LayerUnpacker {

    private static final Logger LOG = LoggerFactory.getLogger(LayerUnpacker.class);

    /** No single file in a real layer comes near this; a header claiming more is hostile or corrupt. */
    public static final long DEFAULT_MAX_ENTRY_SIZE = 1L << 40;

    private final long maxEntrySize;

    public LayerUnpacker() {
        this(DEFAULT_MAX_ENTRY_SIZE);
    }

    public LayerUnpacker(long maxEntrySize) {
        this.maxEntrySize = maxEntrySize;
    }

    public UnpackedLayer unpack(InputStream in, Path target) throws IOException {
        return unpack(in, target, Optional.empty());
    }

    /**
     * Unpacks {@code in} (read to its end, not closed) into {@code target}, which must not exist.
     * With {@code expectedDiffId}, the uncompressed stream must have that digest or nothing is kept.
     */
    public UnpackedLayer unpack(InputStream in, Path target, Optional<Digest> expectedDiffId) throws IOException {
        return unpack(in, target, expectedDiffId, Optional.empty());
    }

    /**
     * As {@link #unpack(InputStream, Path, Optional)}, for a stream that itself fails before its
     * end unless its bytes have digest {@code verifiedDigest} (a verifying download): when the
     * layer turns out to be a plain tar, that digest is its diff_id, and it is not computed twice.
     */
    public UnpackedLayer unpack(InputStream in, Path target, Optional<Digest> expectedDiffId, Optional<Digest> verifiedDigest)
            throws IOException {
        Path dest = target.toAbsolutePath().normalize();
        if (Files.exists(dest, LinkOption.NOFOLLOW_LINKS)) {
            throw new FileAlreadyExistsException(dest.toString(), null, "layer directory already exists");
        }
        Path parent = dest.getParent();
        Files.createDirectories(parent);
        Path temp = Files.createTempDirectory(parent, "." + dest.getFileName() + ".unpack-");
        try {
            Extraction x = new Extraction(temp, verifiedDigest);
            x.run(in);
            Digest diffId = x.uncompressed.digest();
            if (expectedDiffId.isPresent() && !expectedDiffId.get().equals(diffId)) {
                throw new LayerRefusedException(null, "uncompressed layer digest " + diffId
                        + " does not match the image config's diff_id " + expectedDiffId.get());
            }
            NativeFs.chmod(temp, 0755);
            NativeFs.syncFilesystem(temp);
            Files.move(temp, dest, StandardCopyOption.ATOMIC_MOVE);
            NativeFs.fsyncDirectory(parent);
            LOG.debug("unpacked {} entries into {} ({})", x.entries, dest, diffId);
            return new UnpackedLayer(dest, diffId, x.entries);
        } catch (IOException | RuntimeException | Error e) {
            try {
                deleteTree(temp);
            } catch (IOException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
    }

    /** Removes a tree without following symlinks; used to leave nothing behind after a refusal. */
    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                try {
                    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
                } catch (IOException | UnsupportedOperationException ignored) {
                    // best effort: only matters for a non-root user and a read-only directory
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                Files.delete(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    /** One unpacking run into one temp directory. */
    private final class Extraction {
        private final Path root;
        private final boolean asRoot = NativeFs.isRoot();
        private final Set<String> seen = new HashSet<>();
        private final Set<String> implicitDirs = new HashSet<>();
        private final List<PendingDir> dirs = new ArrayList<>();
        private final Optional<Digest> verifiedDigest;
        private HashingInputStream uncompressed;
        private long entries;
        private String current;

        Extraction(Path root, Optional<Digest> verifiedDigest) {
            this.root = root;
            this.verifiedDigest = verifiedDigest;
        }

        void run(InputStream raw) throws IOException {
            BufferedInputStream in = new BufferedInputStream(raw, 1 << 16);
            in.mark(2);
            boolean gzip = in.read() == 0x1f && in.read() == 0x8b;
            in.reset();
            InputStream plain = gzip ? damageChecked(() -> new GzipCompressorInputStream(in, true)) : in;
            uncompressed = !gzip && verifiedDigest.isPresent()
                    ? HashingInputStream.alreadyVerified(plain, verifiedDigest.get())
                    : new HashingInputStream(plain);
            PaxHeaders.RawReader tar = new PaxHeaders.RawReader(uncompressed);
            for (TarArchiveEntry e = next(tar); e != null; e = next(tar)) {
                entries++;
                current = e.getName();
                extract(tar, e, xattrs(e, tar.records()));
            }
            drain(); // the gzip trailer (CRC, length) is checked only when read; damage is blamed on the last entry
            for (int i = dirs.size() - 1; i >= 0; i--) { // children before parents: their times stay set
                PendingDir dir = dirs.get(i);
                current = dir.entry().getName();
                applyMetadata(dir.path(), dir.entry(), false, dir.xattrs());
            }
        }

        private TarArchiveEntry next(PaxHeaders.RawReader tar) throws IOException {
            return damageChecked(tar::getNextEntry);
        }

        private void drain() throws IOException {
            byte[] buf = new byte[1 << 16];
            while (damageChecked(() -> uncompressed.read(buf)) >= 0) {
                // hashed as read: trailing padding belongs to the diff_id too
            }
        }

        private void extract(PaxHeaders.RawReader tar, TarArchiveEntry e, Map<String, byte[]> xattrs) throws IOException {
            String name = e.getName();
            List<String> parts = components(name, name);
            if (parts.isEmpty()) {
                if (e.isDirectory()) {
                    return; // "./": the layer root itself, which is ours
                }
                throw refuse("names the layer root but is not a directory");
            }
            String rel = String.join("/", parts);
            boolean explicitDirAfterImplicit = e.isDirectory() && implicitDirs.remove(rel);
            if (!seen.add(rel)) {
                throw refuse("duplicate entry (an earlier entry has the same path)");
            }
            Path path = parentOf(parts).resolve(parts.get(parts.size() - 1));
            if (!explicitDirAfterImplicit && Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
                throw refuse("conflicts with an earlier entry at the same path");
            }
            byte type = e.getLinkFlag();
            if (e.isDirectory()) {
                if (!explicitDirAfterImplicit) {
                    Files.createDirectory(path);
                }
                dirs.add(new PendingDir(path, e, xattrs)); // metadata last, once nothing more is written inside
                return;
            }
            if (e.isSymbolicLink()) {
                if (e.getLinkName().isEmpty() || e.getLinkName().indexOf('\0') >= 0) {
                    throw refuse("symlink with an empty or invalid target");
                }
                NativeFs.symlink(e.getLinkName(), path);
                applyMetadata(path, e, true, xattrs);
                return;
            }
            if (e.isLink()) {
                Path existing = existingLinkTarget(e.getLinkName());
                Files.createLink(path, existing);
                return; // the inode's metadata came with its first name
            }
            if (e.isCharacterDevice() || e.isBlockDevice()) {
                if (!asRoot) {
                    throw refuse("device nodes can only be created by root");
                }
                int fileType = e.isCharacterDevice() ? LayerPacker.S_IFCHR : LayerPacker.S_IFBLK;
                NativeFs.mknod(path, fileType | (e.getMode() & 07777), e.getDevMajor(), e.getDevMinor());
            } else if (e.isFIFO()) {
                NativeFs.mkfifo(path, e.getMode() & 07777);
            } else if (type == TarConstants.LF_NORMAL || type == TarConstants.LF_OLDNORM || type == TarConstants.LF_CONTIG) {
                writeFile(tar, e, path);
            } else {
                throw refuse("unsupported entry type '" + (char) type + "'");
            }
            applyMetadata(path, e, false, xattrs);
        }

        private void writeFile(PaxHeaders.RawReader tar, TarArchiveEntry e, Path path) throws IOException {
            long size = e.getSize();
            if (size < 0 || size > maxEntrySize) {
                throw refuse("size " + size + " bytes is absurd (limit " + maxEntrySize + ")");
            }
            if (size > (1 << 20)) {
                long free = Files.getFileStore(root).getUsableSpace();
                if (size > free) {
                    throw refuse("size " + size + " bytes exceeds the " + free + " bytes free in " + root.getParent());
                }
            }
            long written = 0;
            byte[] buf = new byte[1 << 16];
            try (OutputStream out = Files.newOutputStream(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                for (int n; (n = damageChecked(() -> tar.read(buf))) > 0; ) {
                    out.write(buf, 0, n);
                    written += n;
                }
            }
            if (written != size) {
                throw refuse("truncated: header says " + size + " bytes, archive holds " + written);
            }
        }

        /** Creates missing parent directories; refuses to go through anything that is not a real directory. */
        private Path parentOf(List<String> parts) throws IOException {
            Path dir = root;
            for (int i = 0; i < parts.size() - 1; i++) {
                dir = dir.resolve(parts.get(i));
                String rel = String.join("/", parts.subList(0, i + 1));
                Optional<BasicFileAttributes> attrs = lstat(dir);
                if (attrs.isEmpty()) {
                    Files.createDirectory(dir);
                    implicitDirs.add(rel);
                } else if (!attrs.get().isDirectory()) {
                    throw refuse("path goes through '" + rel + "', which is "
                            + (attrs.get().isSymbolicLink() ? "a symlink" : "not a directory"));
                }
            }
            return dir;
        }

        private Path existingLinkTarget(String linkName) throws IOException {
            List<String> parts = components(linkName, current);
            if (parts.isEmpty()) {
                throw refuse("hard link to the layer root");
            }
            Path dir = root;
            for (int i = 0; i < parts.size() - 1; i++) {
                dir = dir.resolve(parts.get(i));
                Optional<BasicFileAttributes> attrs = lstat(dir);
                if (attrs.isEmpty() || !attrs.get().isDirectory()) {
                    throw refuse("hard link to '" + linkName + "', which is not an earlier entry of this layer");
                }
            }
            Path target = dir.resolve(parts.get(parts.size() - 1));
            Optional<BasicFileAttributes> attrs = lstat(target);
            if (attrs.isEmpty()) {
                throw refuse("hard link to '" + linkName + "', which is not an earlier entry of this layer");
            }
            if (attrs.get().isDirectory()) {
                throw refuse("hard link to directory '" + linkName + "'");
            }
            return target;
        }

        private void applyMetadata(Path path, TarArchiveEntry e, boolean symlink, Map<String, byte[]> xattrs) throws IOException {
            if (asRoot) {
                NativeFs.lchown(path, (int) e.getLongUserId(), (int) e.getLongGroupId());
            }
            if (!symlink) {
                NativeFs.chmod(path, e.getMode()); // after chown, which clears set-id bits
            }
            for (Map.Entry<String, byte[]> x : xattrs.entrySet()) {
                try {
                    NativeFs.setXattr(path, x.getKey(), x.getValue()); // after chown, which clears security.capability
                } catch (IOException notPermitted) {
                    LOG.warn("layer entry '{}': xattr {} not kept: {}", e.getName(), x.getKey(), notPermitted.getMessage());
                }
            }
            if (e.getLastModifiedTime() != null) {
                NativeFs.setTimes(path, e.getLastModifiedTime());
            }
        }

        private Map<String, byte[]> xattrs(TarArchiveEntry e, Map<String, byte[]> rawRecords) throws LayerRefusedException {
            try {
                return PaxHeaders.xattrs(e, rawRecords);
            } catch (IllegalArgumentException bad) {
                throw refuse("malformed xattr header: " + bad.getMessage());
            }
        }

        private LayerRefusedException refuse(String reason) {
            return new LayerRefusedException(current, reason);
        }

        /** Runs a read from the archive: any failure there is a damaged archive, blamed on the current entry. */
        private <T> T damageChecked(IoSupplier<T> read) throws LayerRefusedException {
            try {
                return read.get();
            } catch (IOException | RuntimeException damaged) {
                String what = current == null ? "archive is truncated or corrupt: " : "truncated or corrupt data: ";
                throw new LayerRefusedException(current, what + damaged.getMessage(), damaged);
            }
        }
    }

    /** A directory whose owner, mode, xattrs and times are applied after everything inside it is written. */
    private record PendingDir(Path path, TarArchiveEntry entry, Map<String, byte[]> xattrs) {
    }

    private interface IoSupplier<T> {
        T get() throws IOException;
    }

    /** The path components of an archive name; refuses absolute paths, {@code ..} and NUL. */
    static List<String> components(String name, String entry) throws LayerRefusedException {
        if (name.indexOf('\0') >= 0) {
            throw new LayerRefusedException(entry, "name contains a NUL byte");
        }
        if (name.startsWith("/")) {
            throw new LayerRefusedException(entry, "absolute path '" + name + "' would land outside the layer directory");
        }
        List<String> parts = new ArrayList<>();
        for (String part : name.split("/")) {
            if (part.isEmpty() || part.equals(".")) {
                continue;
            }
            if (part.equals("..")) {
                throw new LayerRefusedException(entry, "'..' in '" + name + "' would land outside the layer directory");
            }
            parts.add(part);
        }
        return parts;
    }

    private static Optional<BasicFileAttributes> lstat(Path p) throws IOException {
        try {
            return Optional.of(Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }
}
