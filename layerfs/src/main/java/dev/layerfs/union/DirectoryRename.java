package dev.layerfs.union;

import dev.layerfs.sys.Errno;
import dev.layerfs.sys.ErrnoException;
import dev.layerfs.sys.Fs;
import dev.layerfs.sys.Stat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;

/**
 * rename of a directory whose content spans branches: a crash-safe whole-tree copy-up.
 *
 * <ol>
 * <li>Under the union-wide tree lock (no name anywhere changes meanwhile), the merged tree of
 *     the old name is assembled in the work directory: directories are made afresh with their
 *     metadata, files of the writable branch are hard-linked (same inode: open descriptors,
 *     hard links and inode numbers carry over, no data is copied), files of lower branches are
 *     copied up as by any copy-up. Whited-out names are not part of the merged tree, so the
 *     new tree needs no markers inside; only its top is opaque when a lower branch holds the
 *     new name. Every new directory is fsynced.</li>
 * <li>A {@link RenameJournal} record naming the old path, the new path and the new tree's
 *     inode is written and fsynced.</li>
 * <li>The tree is renamed into place at the new name (replacing an empty directory), then the
 *     old name is whited out and its writable-branch tree moved to the work directory and
 *     removed; the record is deleted.</li>
 * </ol>
 * A crash before the tree is in place leaves the old view (the half-built tree is in the work
 * directory, removed at mount); a crash after it leaves a record that the next mount completes
 * ({@link RenameJournal#recover}), giving the new view. Lower branches are never touched.
 */
final class DirectoryRename {

    private static final Logger LOG = LoggerFactory.getLogger(DirectoryRename.class);

    private final OpenBranches branches;
    private final Lookup lookup;
    private final CopyUp copyUp;
    private final PathLocks locks;
    private final InodeTable inodes;

    DirectoryRename(Lookup lookup, CopyUp copyUp, PathLocks locks, InodeTable inodes) {
        this.branches = lookup.branches();
        this.lookup = lookup;
        this.copyUp = copyUp;
        this.locks = locks;
        this.inodes = inodes;
    }

    void rename(UnionPath from, UnionPath to) throws ErrnoException {
        try (PathLocks.Held tree = locks.lockTree()) {
            int fromParent = copyUp.upperDir(from.parent());
            try {
                int toParent = copyUp.upperDir(to.parent());
                try {
                    move(from, fromParent, to, toParent);
                } finally {
                    Fs.close(toParent);
                }
            } finally {
                Fs.close(fromParent);
            }
        }
    }

    private void move(UnionPath from, int fromParent, UnionPath to, int toParent) throws ErrnoException {
        int work = copyUp.workDir();
        Entry source;
        boolean fromLowerHolds;
        try (DirView view = lookup.openDir(from.parent())) {
            source = lookup.entry(view, from);
            fromLowerHolds = lookup.lowerHolds(view, source, from.name());
        }
        if (!source.stat().isDirectory()) {
            throw new ErrnoException(Errno.ENOENT, "changed during rename: " + from);
        }
        boolean toLowerHolds;
        boolean toInUpper = false;
        try (DirView view = lookup.openDir(to.parent())) {
            var target = lookup.replaceableDirectory(view, to);
            if (target.isPresent()) {
                toLowerHolds = lookup.lowerHolds(view, target.get(), to.name());
                toInUpper = target.get().inUpper();
            } else {
                toLowerHolds = Whiteouts.exists(toParent, to.name());
            }
        }

        // the tree is built under its own name inside a fresh staging directory of the work directory
        String stage = copyUp.tempName();
        Fs.mkdir(work, stage, 0700);
        List<Long> oldUpperDirs = new ArrayList<>();
        int staged = -1;
        try {
            staged = Fs.open(work, stage, Fs.O_PATH | Fs.O_DIRECTORY | Fs.O_NOFOLLOW, 0);
            String name = from.name();
            try (DirView view = lookup.openDir(from.parent())) {
                copyUp.copy(view.fd(source.level()), source, staged, name, from, 0);
            }
            if (source.inUpper()) {
                oldUpperDirs.add(source.stat().ino());
            }
            int top = Fs.open(staged, name, Fs.O_PATH | Fs.O_DIRECTORY | Fs.O_NOFOLLOW, 0);
            try {
                fillTree(from, top, oldUpperDirs);
                if (toLowerHolds) {
                    Whiteouts.makeOpaque(staged, name);
                }
                Fs.utimens(staged, name, times(source.stat()));
                syncDir(top);
                String record = RenameJournal.write(work, from, to, Fs.fstat(top).ino());
                if (toInUpper) {
                    Whiteouts.clearMarkers(toParent, to.name());
                }
                Fs.rename(staged, name, toParent, to.name());
                Whiteouts.remove(toParent, to.name());
                retireOld(work, fromParent, from.name(), fromLowerHolds, source.inUpper());
                RenameJournal.done(work, record);
            } finally {
                Fs.close(top);
            }
        } finally {
            Fs.close(staged);
            removeQuietly(work, stage);
        }
        for (long ino : oldUpperDirs) {
            inodes.removed(ino);
        }
        LOG.debug("renamed directory {} to {} by copying its tree up", from, to);
    }

    /** Fills the new directory {@code dst} with the merged content of union directory {@code dir}. */
    private void fillTree(UnionPath dir, int dst, List<Long> oldUpperDirs) throws ErrnoException {
        try (DirView view = lookup.openDir(dir)) {
            for (MergedListing.Item item : MergedListing.items(view)) {
                String name = item.name();
                Entry e = lookup.find(view, name).orElseThrow(
                        () -> new ErrnoException(Errno.ENOENT, "vanished during rename: " + dir.child(name)));
                int srcDir = view.fd(e.level());
                if (e.stat().isDirectory()) {
                    copyUp.copy(srcDir, e, dst, name, dir.child(name), 0);
                    if (e.inUpper()) {
                        oldUpperDirs.add(e.stat().ino());
                    }
                    int sub = Fs.open(dst, name, Fs.O_PATH | Fs.O_DIRECTORY | Fs.O_NOFOLLOW, 0);
                    try {
                        fillTree(dir.child(name), sub, oldUpperDirs);
                        syncDir(sub);
                    } finally {
                        Fs.close(sub);
                    }
                    Fs.utimens(dst, name, times(e.stat()));
                } else if (e.inUpper()) {
                    Fs.link(srcDir, name, dst, name); // the same file: open descriptors and links carry over
                } else {
                    copyUp.copy(srcDir, e, dst, name, dir.child(name), Long.MAX_VALUE);
                }
            }
        }
    }

    /** Hides the old name and takes its writable-branch tree out of the union. */
    private static void retireOld(int work, int fromParent, String name, boolean lowerHolds, boolean inUpper)
            throws ErrnoException {
        if (lowerHolds) {
            Whiteouts.create(fromParent, name);
        }
        if (inUpper) {
            String trash = "old." + name.hashCode() + "." + System.nanoTime();
            Fs.rename(fromParent, name, work, trash);
            WorkDir.removeTree(work, trash);
        }
    }

    static void syncDir(int pathFd) throws ErrnoException {
        int fd = Fs.open(pathFd, ".", Fs.O_RDONLY | Fs.O_DIRECTORY, 0);
        try {
            Fs.fsync(fd, false);
        } finally {
            Fs.close(fd);
        }
    }

    private static long[] times(Stat st) {
        return new long[] {st.atimeSec(), st.atimeNsec(), st.mtimeSec(), st.mtimeNsec()};
    }

    private static void removeQuietly(int work, String stage) {
        try {
            WorkDir.removeTree(work, stage);
        } catch (ErrnoException e) {
            LOG.warn("could not remove rename staging directory {}/{}: {}", Names.WORK_DIR, stage, e.toString());
        }
    }
}
