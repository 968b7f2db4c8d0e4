package dev.layerfs.union;

import dev.layerfs.sys.Errno;
import dev.layerfs.sys.ErrnoException;
import dev.layerfs.sys.Fs;
import dev.layerfs.sys.Stat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;


/**
 * rename of a directory whose content spans branches: a crash-safe whole-tree copy-up.
 *
 * <ol>
 * <li>Under the union-wide tree lock (no name anywhere changes meanwhile), the merged tree of
 *     the old name is assembled in the work directory: directories are made afresh with their
 *     metadata, files of the target writable branch (see {@link Rename}), or of another
 *     writable branch on its file system, are hard-linked (same inode: open descriptors, hard
 *     links and inode numbers carry over, no data is copied), other files are copied as by
 *     any copy-up. Whited-out names are not part of the merged tree, so the
 *     new tree needs no markers inside; only its top is opaque when a lower branch holds the
 *     new name. Every new directory is fsynced.</li>
 * <li>A {@link RenameJournal} record naming the old path, the new path and the new tree's
 *     inode is written to the target branch's work directory and fsynced.</li>
 * <li>The tree is renamed into place at the new name (replacing an empty directory), then the
 *     old name is removed as by rmdir ({@link Removal}), whole trees: whited out if a read-only
 *     branch holds it, its tree in each writable branch moved to that branch's work directory
 *     and removed; the record is deleted.</li>
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
    private final Removal removal;

    DirectoryRename(Lookup lookup, CopyUp copyUp, PathLocks locks, InodeTable inodes, Removal removal) {
        this.branches = lookup.branches();
        this.lookup = lookup;
        this.copyUp = copyUp;
        this.locks = locks;
        this.inodes = inodes;
        this.removal = removal;
    }

    /** Moves directory {@code from} to {@code to}, building the new tree in writable branch {@code target}. */
    void rename(UnionPath from, UnionPath to, int target) throws ErrnoException {
        try (PathLocks.Held tree = locks.lockTree()) {
            int fromParent = copyUp.dirIn(target, from.parent()); // in case the old name needs a whiteout here
            try {
                int toParent = copyUp.dirIn(target, to.parent());
                try {
                    move(from, fromParent, to, toParent, target);
                } finally {
                    Fs.close(toParent);
                }
            } finally {
                Fs.close(fromParent);
            }
        }
    }

    private void move(UnionPath from, int fromParent, UnionPath to, int toParent, int target) throws ErrnoException {
        int work = copyUp.workDir(target);
        Entry source;
        try (DirView view = lookup.openDir(from.parent())) {
            source = lookup.entry(view, from);
        }
        if (!source.stat().isDirectory()) {
            throw new ErrnoException(Errno.ENOENT, "changed during rename: " + from);
        }
        boolean toLowerHolds;
        boolean toInTarget;
        long replacedIno = -1;
        try (DirView view = lookup.openDir(to.parent())) {
            var replaced = lookup.replaceableDirectory(view, to);
            toInTarget = replaced.isPresent() && replaced.get().branch() == target;
            if (toInTarget) {
                replacedIno = replaced.get().stat().ino();
            }
            toLowerHolds = lookup.holders(view, to.name()).stream().anyMatch(h -> h.branch() != target)
                    || Whiteouts.exists(toParent, to.name());
        }

        // the tree is built under its own name inside a fresh staging directory of the work directory
        String stage = copyUp.tempName();
        Fs.mkdir(work, stage, 0700);
        int staged = -1;
        try {
            staged = Fs.open(work, stage, Fs.O_PATH | Fs.O_DIRECTORY | Fs.O_NOFOLLOW, 0);
            String name = from.name();
            try (DirView view = lookup.openDir(from.parent())) {
                copyUp.copy(view.fd(source.level()), source, target, staged, name, from, 0);
            }
            int top = Fs.open(staged, name, Fs.O_PATH | Fs.O_DIRECTORY | Fs.O_NOFOLLOW, 0);
            try {
                fillTree(from, top, target);
                if (toLowerHolds) {
                    Whiteouts.makeOpaque(staged, name);
                }
                Fs.utimens(staged, name, times(source.stat()));
                syncDir(top);
                String record = RenameJournal.write(work, from, to, Fs.fstat(top).ino());
                if (toInTarget) {
                    Whiteouts.clearMarkers(toParent, to.name());
                }
                java.util.Optional<Entry> shown;
                try (DirView view = lookup.openDir(to.parent())) {
                    shown = lookup.find(view, to.name());
                }
                Fs.rename(staged, name, toParent, to.name());
                if (toInTarget) {
                    inodes.removed(target, replacedIno); // the empty directory the tree replaced
                }
                Whiteouts.remove(toParent, to.name());
                Rename.dropReplaced(lookup, inodes, to, shown, target);
                retireOld(from, fromParent, target);
                RenameJournal.done(work, record);
            } finally {
                Fs.close(top);
            }
        } finally {
            Fs.close(staged);
            forgetQuietly(work, stage, target); // a tree never placed: its copies are no files of the union
            removeQuietly(work, stage);
        }
        // the old name left from whichever writable branches held it, and the directory may
        // have just been copied to the target branch with its old times: the union's view moves
        DirTimes.changedIn(lookup, from.parent(), DirTimes.ANY);
        DirTimes.changedIn(lookup, to.parent(), target);
        LOG.debug("renamed directory {} to {} by copying its tree up", from, to);
    }

    /** Fills the new directory {@code dst} with the merged content of union directory {@code dir}. */
    private void fillTree(UnionPath dir, int dst, int target) throws ErrnoException {
        try (DirView view = lookup.openDir(dir)) {
            for (MergedListing.Item item : MergedListing.items(view)) {
                String name = item.name();
                Entry e = lookup.find(view, name).orElseThrow(
                        () -> new ErrnoException(Errno.ENOENT, "vanished during rename: " + dir.child(name)));
                int srcDir = view.fd(e.level());
                if (e.stat().isDirectory()) {
                    copyUp.copy(srcDir, e, target, dst, name, dir.child(name), 0);
                    int sub = Fs.open(dst, name, Fs.O_PATH | Fs.O_DIRECTORY | Fs.O_NOFOLLOW, 0);
                    try {
                        fillTree(dir.child(name), sub, target);
                        syncDir(sub);
                    } finally {
                        Fs.close(sub);
                    }
                    Fs.utimens(dst, name, times(e.stat()));
                } else if (e.branch() == target) {
                    Fs.link(srcDir, name, dst, name); // the same file: open descriptors and links carry over
                } else if (branches.writable(e.branch()) && copyUp.sameFileSystem(e.branch(), target)) {
                    copyUp.numberMovesWith(e.branch(), srcDir, name, e.stat(), target);
                    Fs.link(srcDir, name, dst, name); // another writable branch on the same file system: the same file too
                } else {
                    copyUp.copy(srcDir, e, target, dst, name, dir.child(name), Long.MAX_VALUE);
                }
            }
        }
    }

    /**
     * Hides the old name and takes its writable-branch trees out of the union: a whiteout first
     * (in the topmost branch the name goes from, else in {@code target}), then each tree is
     * moved to its own branch's work directory and removed.
     */
    private void retireOld(UnionPath from, int fromParentInTarget, int target) throws ErrnoException {
        try (DirView view = lookup.openDir(from.parent())) {
            Removal.Plan plan = removal.plan(view, from.name(), true);
            if (plan.needsWhiteout()) {
                int dir = plan.removable().isEmpty() ? fromParentInTarget
                        : view.fd(plan.removable().get(0).level());
                Whiteouts.create(dir, from.name());
            }
            for (int i = plan.removable().size() - 1; i >= 0; i--) {
                Entry e = plan.removable().get(i);
                int work = copyUp.workDir(e.branch());
                String trash = "old." + from.name().hashCode() + "." + System.nanoTime();
                Fs.rename(view.fd(e.level()), from.name(), work, trash);
                forgetTree(work, trash, e.branch());
                WorkDir.removeTree(work, trash);
            }
        }
    }

    /**
     * Tells the inode table that the inodes of an old tree about to be removed are gone: its
     * directories (every level's, covered ones too), and files with no other name (a file
     * linked into the new tree has two names now and lives on).
     */
    private void forgetTree(int parent, String name, int branch) throws ErrnoException {
        Stat st = Fs.statOrNull(parent, name);
        if (st == null) {
            return;
        }
        if (st.isDirectory()) {
            int dir = Fs.open(parent, name, Fs.O_PATH | Fs.O_DIRECTORY | Fs.O_NOFOLLOW, 0);
            try {
                for (Fs.DirEntry e : Fs.list(dir, ".")) {
                    forgetTree(dir, e.name(), branch);
                }
            } finally {
                Fs.close(dir);
            }
            inodes.removed(branch, st.ino());
        } else if (st.nlink() == 1) {
            inodes.removed(branch, st.ino());
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

    private void forgetQuietly(int work, String stage, int branch) {
        try {
            forgetTree(work, stage, branch);
        } catch (ErrnoException e) {
            LOG.debug("could not walk rename staging directory {}/{}: {}", Names.WORK_DIR, stage, e.toString());
        }
    }

    private static void removeQuietly(int work, String stage) {
        try {
            WorkDir.removeTree(work, stage);
        } catch (ErrnoException e) {
            LOG.warn("could not remove rename staging directory {}/{}: {}", Names.WORK_DIR, stage, e.toString());
        }
    }
}
