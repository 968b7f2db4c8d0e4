package dev.layerfs.union;

import dev.layerfs.sys.Errno;
import dev.layerfs.sys.ErrnoException;
import dev.layerfs.sys.Fs;
import dev.layerfs.sys.Stat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The intent record of a {@link DirectoryRename}: a file {@code rename.*} in the work directory,
 * written and fsynced before the new tree is renamed into place, deleted once the old name is
 * retired. At mount, before the work directory is emptied, a record whose new tree is in place
 * (the new name's inode is the one recorded) is completed: the old name is whited out if a
 * lower branch holds it and its writable-branch tree removed. A record whose tree never got
 * into place is simply dropped with the tree.
 */
final class RenameJournal {

    private static final Logger LOG = LoggerFactory.getLogger(RenameJournal.class);
    private static final String PREFIX = "rename.";
    private static final int VERSION = 1;

    /** One recorded rename. */
    record Intent(UnionPath from, UnionPath to, long treeIno) {
    }

    private RenameJournal() {
    }

    /** Writes and fsyncs the record; returns its name in the work directory. */
    static String write(int work, UnionPath from, UnionPath to, long treeIno) throws ErrnoException {
        String name = PREFIX + ProcessHandle.current().pid() + "." + System.nanoTime();
        Path file = Path.of(Fs.procPath(work), name);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.wrap(encode(new Intent(from, to, treeIno))));
            ch.force(true);
        } catch (IOException e) {
            throw new ErrnoException(Errno.EIO, "cannot write rename record " + name + ": " + e);
        }
        DirectoryRename.syncDir(work);
        return name;
    }

    /** The rename is complete: the record goes (durably, so a later mount does not redo it). */
    static void done(int work, String record) throws ErrnoException {
        Fs.unlink(work, record);
        DirectoryRename.syncDir(work);
    }

    /** Completes every rename a crash interrupted after its tree was in place. Run before {@link WorkDir#prepare}. */
    static void recover(OpenBranches branches) throws ErrnoException {
        int root = branches.upperRoot();
        int work = Fs.openDirectory(root, Names.WORK_DIR);
        if (work < 0) {
            return;
        }
        try {
            for (Fs.DirEntry e : Fs.list(work, ".")) {
                if (e.name().startsWith(PREFIX)) {
                    Optional<Intent> intent = read(work, e.name());
                    if (intent.isPresent()) {
                        complete(branches, work, intent.get());
                    }
                }
            }
        } finally {
            Fs.close(work);
        }
    }

    private static void complete(OpenBranches branches, int work, Intent intent) throws ErrnoException {
        int root = branches.upperRoot();
        Stat placed = statUpper(root, intent.to());
        if (placed == null || placed.ino() != intent.treeIno()) {
            LOG.info("dropping rename {} -> {} interrupted before the new tree was in place", intent.from(), intent.to());
            return;
        }
        LOG.info("completing rename {} -> {} interrupted by a crash", intent.from(), intent.to());
        Lookup lookup = new Lookup(branches);
        int parent = dirUpper(root, intent.from().parent());
        if (parent < 0) {
            return;
        }
        try {
            boolean lowerHolds;
            try (DirView view = lookup.openDir(intent.from().parent())) {
                var entry = lookup.find(view, intent.from().name());
                lowerHolds = entry.isPresent() && lookup.lowerHolds(view, entry.get(), intent.from().name());
            } catch (ErrnoException e) {
                lowerHolds = false;
            }
            if (lowerHolds) {
                Whiteouts.create(parent, intent.from().name());
            }
            Stat old = Fs.statOrNull(parent, intent.from().name());
            if (old != null && old.isDirectory()) {
                Fs.rename(parent, intent.from().name(), work, "old.recovered." + System.nanoTime());
            }
            DirectoryRename.syncDir(parent);
        } finally {
            Fs.close(parent);
        }
    }

    private static Stat statUpper(int root, UnionPath path) throws ErrnoException {
        int parent = dirUpper(root, path.parent());
        if (parent < 0) {
            return null;
        }
        try {
            return Fs.statOrNull(parent, path.name());
        } finally {
            Fs.close(parent);
        }
    }

    private static int dirUpper(int root, UnionPath dir) throws ErrnoException {
        int cur = Fs.open(root, ".", Fs.O_PATH | Fs.O_DIRECTORY, 0);
        for (String name : dir.components()) {
            int fd = Fs.openDirectory(cur, name);
            Fs.close(cur);
            if (fd < 0) {
                return -1;
            }
            cur = fd;
        }
        return cur;
    }

    static byte[] encode(Intent intent) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(VERSION);
            out.writeLong(intent.treeIno());
            writePath(out, intent.from());
            writePath(out, intent.to());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    private static Optional<Intent> read(int work, String name) {
        try (DataInputStream in = new DataInputStream(Files.newInputStream(Path.of(Fs.procPath(work), name)))) {
            if (in.readInt() != VERSION) {
                LOG.warn("ignoring rename record {} of an unknown version", name);
                return Optional.empty();
            }
            long ino = in.readLong();
            return Optional.of(new Intent(readPath(in), readPath(in), ino));
        } catch (IOException e) {
            LOG.warn("ignoring unreadable rename record {}: {}", name, e.toString());
            return Optional.empty(); // written before the tree moved, so unreadable means not in place
        }
    }

    private static void writePath(DataOutputStream out, UnionPath p) throws IOException {
        out.writeInt(p.components().size());
        for (String c : p.components()) {
            byte[] b = c.getBytes(Fs.NAMES);
            out.writeInt(b.length);
            out.write(b);
        }
    }

    private static UnionPath readPath(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > 4096) {
            throw new IOException("bad component count " + n);
        }
        List<String> parts = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int len = in.readInt();
            if (len < 1 || len > 255) {
                throw new IOException("bad name length " + len);
            }
            parts.add(new String(in.readNBytes(len), Fs.NAMES));
        }
        return new UnionPath(parts);
    }
}
