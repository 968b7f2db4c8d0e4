package dev.layerfs.imaged.layer;

import dev.layerfs.imaged.oci.MediaTypes;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongConsumer;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipParameters;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a directory into an OCI layer: a PAX tar, gzip-compressed, digested on the way out.
 *
 * <p>A layerfs writable branch is already in layer form: its {@code .wh.NAME} whiteouts and
 * {@code .wh..wh..opq} opaque markers are the OCI conventions, so they are packed as the empty
 * files they are. layerfs/AUFS bookkeeping names ({@code .wh..wh.*} other than the opaque marker)
 * are not content and are left out. Entries are written in sorted order with numeric owners
 * only, mtimes in whole seconds and no atime/ctime, so the same tree always gives the same digest.
 * Extended attributes travel as raw {@code SCHILY.xattr.*} PAX records, as GNU tar and
 * containerd write them ({@link PaxHeaders}).
 */
public final class LayerPacker {

    private static final Logger LOG = LoggerFactory.getLogger(LayerPacker.class);

    static final String WHITEOUT_PREFIX = ".wh.";
    static final String META_PREFIX = ".wh..wh.";
    static final String OPAQUE = ".wh..wh..opq";

    static final int S_IFMT = 0170000;
    static final int S_IFDIR = 0040000;
    static final int S_IFREG = 0100000;
    static final int S_IFLNK = 0120000;
    static final int S_IFCHR = 0020000;
    static final int S_IFBLK = 0060000;
    static final int S_IFIFO = 0010000;

    /** Packs {@code source} into {@code output} (created or replaced). */
    public PackedLayer pack(Path source, Path output) throws IOException {
        return pack(source, output, bytes -> { });
    }

    /** Packs, reporting the file bytes read as it goes (for a progress display). */
    public PackedLayer pack(Path source, Path output, LongConsumer progress) throws IOException {
        if (!Files.isDirectory(source, LinkOption.NOFOLLOW_LINKS)) {
            throw new NoSuchFileException(source.toString(), null, "not a directory");
        }
        GzipParameters gzip = new GzipParameters();
        gzip.setModificationTime(0); // a fixed header keeps the blob digest reproducible
        HashingOutputStream compressed;
        HashingOutputStream uncompressed;
        try (OutputStream file = Files.newOutputStream(output)) {
            compressed = new HashingOutputStream(new BufferedOutputStream(file, 1 << 16));
            GzipCompressorOutputStream gz = new GzipCompressorOutputStream(compressed, gzip);
            uncompressed = new HashingOutputStream(gz);
            try (TarArchiveOutputStream tar = PaxHeaders.writer(uncompressed)) {
                new Walk(tar, progress).directory(source, "");
                tar.finish();
            }
        }
        LOG.debug("packed {} into {}: {} bytes, {}", source, output, compressed.count(), compressed.digest());
        return new PackedLayer(output, compressed.digest(), compressed.count(), uncompressed.digest(),
                MediaTypes.OCI_LAYER_TAR_GZIP);
    }

    /** One packing pass: remembers the first name of each multiply-linked inode. */
    private static final class Walk {
        private final TarArchiveOutputStream tar;
        private final LongConsumer progress;
        private final Map<String, String> firstNameOfInode = new HashMap<>();

        Walk(TarArchiveOutputStream tar, LongConsumer progress) {
            this.tar = tar;
            this.progress = progress;
        }

        void directory(Path dir, String prefix) throws IOException {
            List<String> names;
            try (Stream<Path> list = Files.list(dir)) {
                names = list.map(p -> p.getFileName().toString()).sorted().toList();
            }
            for (String name : names) {
                if (name.startsWith(META_PREFIX) && !name.equals(OPAQUE)) {
                    LOG.debug("not packing layerfs metadata {}", dir.resolve(name));
                    continue;
                }
                entry(dir.resolve(name), prefix + name, name.startsWith(WHITEOUT_PREFIX));
            }
        }

        private void entry(Path path, String name, boolean whiteout) throws IOException {
            Map<String, Object> attrs = Files.readAttributes(path, "unix:*", LinkOption.NOFOLLOW_LINKS);
            int mode = (Integer) attrs.get("mode");
            int type = mode & S_IFMT;
            TarArchiveEntry e;
            boolean content = false;
            String inode = attrs.get("dev") + ":" + attrs.get("ino");
            String firstName = (Integer) attrs.get("nlink") > 1 && type != S_IFDIR && !whiteout
                    ? firstNameOfInode.putIfAbsent(inode, name) : null;
            if (whiteout && type != S_IFDIR) {
                // AUFS makes whiteouts hard links to a hidden file; in a layer each is just an empty file.
                e = new TarArchiveEntry(name, TarConstants.LF_NORMAL);
            } else if (firstName != null) {
                e = new TarArchiveEntry(name, TarConstants.LF_LINK);
                e.setLinkName(firstName);
            } else {
                switch (type) {
                    case S_IFDIR -> e = new TarArchiveEntry(name + "/", TarConstants.LF_DIR);
                    case S_IFREG -> {
                        e = new TarArchiveEntry(name, TarConstants.LF_NORMAL);
                        e.setSize((Long) attrs.get("size"));
                        content = true;
                    }
                    case S_IFLNK -> {
                        e = new TarArchiveEntry(name, TarConstants.LF_SYMLINK);
                        e.setLinkName(NativeFs.readlink(path));
                    }
                    case S_IFCHR, S_IFBLK -> {
                        e = new TarArchiveEntry(name, type == S_IFCHR ? TarConstants.LF_CHR : TarConstants.LF_BLK);
                        long rdev = (Long) attrs.get("rdev");
                        e.setDevMajor(NativeFs.major(rdev));
                        e.setDevMinor(NativeFs.minor(rdev));
                    }
                    case S_IFIFO -> e = new TarArchiveEntry(name, TarConstants.LF_FIFO);
                    default -> {
                        LOG.warn("skipping {}: a socket cannot be stored in a layer", path);
                        return;
                    }
                }
            }
            e.setMode(mode & 07777);
            e.setUserId(((Integer) attrs.get("uid")).longValue());
            e.setGroupId(((Integer) attrs.get("gid")).longValue());
            e.setUserName("");
            e.setGroupName("");
            e.setModTime(wholeSeconds((FileTime) attrs.get("lastModifiedTime")));
            PaxHeaders.put(tar, e, NativeFs.xattrs(path));
            if (content) {
                copyExactly(path, e.getSize());
            }
            tar.closeArchiveEntry();
            if (type == S_IFDIR) {
                directory(path, name + "/");
            }
        }

        /** Whole seconds, as the ustar header holds them: no PAX record per file, and the same on every tool. */
        private static FileTime wholeSeconds(FileTime t) {
            return FileTime.from(t.to(java.util.concurrent.TimeUnit.SECONDS), java.util.concurrent.TimeUnit.SECONDS);
        }

        private void copyExactly(Path file, long size) throws IOException {
            long copied = 0;
            byte[] buf = new byte[1 << 16];
            try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
                for (int n; (n = in.read(buf)) > 0; copied += n) {
                    tar.write(buf, 0, n);
                    progress.accept(n);
                }
            }
            if (copied != size) {
                throw new IOException(file + " changed size while being packed (" + size + " -> " + copied + " bytes)");
            }
        }
    }
}
