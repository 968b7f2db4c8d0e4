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
 * retired. The record is in the work directory of the branch the new tree was built in. At
 * mount, before any work directory is emptied, a record whose new tree is in place (the new
 * name's inode in that branch is the one recorded) is completed: the old name's trees in
 * writable branches are moved to their work directories (emptied next) and a whiteout hides it
 * where a read-only branch still holds it. A record whose tree never got into place is simply
 * dropped with the tree.
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

    /**
     * Completes every rename a crash interrupted after its tree was in place in writable
     * {@code branch}. Run before any {@link WorkDir#prepare}.
     */
    static void recover(OpenBranches branches, int branch) throws ErrnoException {
        int root = branches.root(branch);
        int work = Fs.openDirectory(root, Names.WORK_DIR);
        if (work < 0) {
            return;
        }
        try {
            for (Fs.DirEntry e : Fs.list(work, ".")) {
                if (e.name().startsWith(PREFIX)) {
                    Optional<Intent> intent = read(work, e.name());
                    if (intent.isPresent()) {
                        complete(branches, branch, intent.get());
                    }
                }
            }
        } finally {
            Fs.close(work);
        }
    }

    private static void complete(OpenBranches branches, int branch, Intent intent) throws ErrnoException {
        int root = branches.root(branch);
        Stat placed = statUpper(root, intent.to());
        if (placed == null || placed.ino() != intent.treeIno()) {
            LOG.info("dropping rename {} -> {} interrupted before the new tree was in place", intent.from(), intent.to());
            return;
        }
        LOG.info("completing rename {} -> {} interrupted by a crash", intent.from(), intent.to());
        Lookup lookup = new Lookup(branches);
        DirView view;
        try {
            view = lookup.openDir(intent.from().parent());
        } catch (ErrnoException e) {
            return; // the old name's directory is gone: nothing left to retire
        }
        try (view) {
            String name = intent.from().name();
            List<Entry> holders = lookup.holders(view, name);
            int writable = 0;
            while (writable < holders.size() && branches.writable(holders.get(writable).branch())) {
                writable++;
            }
            if (writable < holders.size()) {
                int dir = writable > 0 ? Fs.open(view.fd(holders.get(0).level()), ".", Fs.O_PATH | Fs.O_DIRECTORY, 0)
                        : dirUpper(root, intent.from().parent());
                if (dir < 0) {
                    LOG.warn("cannot hide {} after the interrupted rename: its directory is missing in {}",
                            intent.from(), branches.stack().get(branch).dir());
                } else {
                    try {
                        Whiteouts.create(dir, name);
                        DirectoryRename.syncDir(dir);
                    } finally {
                        Fs.close(dir);
                    }
                }
            }
            for (int i = writable - 1; i >= 0; i--) {
                Entry e = holders.get(i);
                int bRoot = branches.root(e.branch());
                try {
                    Fs.mkdir(bRoot, Names.WORK_DIR, 0700);
                } catch (ErrnoException ex) {
                    if (ex.errno() != Errno.EEXIST) {
                        throw ex;
                    }
                }
                int work = Fs.open(bRoot, Names.WORK_DIR, Fs.O_PATH | Fs.O_DIRECTORY | Fs.O_NOFOLLOW, 0);
                try {
                    Fs.rename(view.fd(e.level()), name, work, "old.recovered." + System.nanoTime()); // emptied at mount
                    DirectoryRename.syncDir(view.fd(e.level()));
                } finally {
                    Fs.close(work);
                }
            }
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
