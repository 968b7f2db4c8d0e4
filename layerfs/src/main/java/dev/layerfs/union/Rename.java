package dev.layerfs.union;

import dev.layerfs.sys.Errno;
import dev.layerfs.sys.ErrnoException;
import dev.layerfs.sys.Fs;
import dev.layerfs.sys.Stat;

import java.util.Optional;

/**
 * rename. The new name lands in one writable branch, the target branch: the branch of the
 * source if it is writable and the new name would show there, else the branch the
 * {@code cpup=} policy chooses among those where it would show (above an entry or whiteout of
 * the new name, and above the source). A file is renamed within the target branch, after a
 * copy to it if it is elsewhere (from a read-only branch, or across writable branches: a copy,
 * as with any copy-up). The old name is then removed as by unlink ({@link Removal}). A directory
 * that lives only in the target branch is renamed there (opaque if it lands where a lower
 * directory was); any other is moved whole by {@link DirectoryRename} (a crash-safe tree copy).
 */
final class Rename {

    private final OpenBranches branches;
    private final Lookup lookup;
    private final CopyUp copyUp;
    private final PathLocks locks;
    private final InodeTable inodes;
    private final Removal removal;
    private final DirectoryRename wholeTree;

    Rename(Lookup lookup, CopyUp copyUp, PathLocks locks, InodeTable inodes, Removal removal) {
        this.branches = lookup.branches();
        this.lookup = lookup;
        this.copyUp = copyUp;
        this.locks = locks;
        this.inodes = inodes;
        this.removal = removal;
        this.wholeTree = new DirectoryRename(lookup, copyUp, locks, inodes, removal);
    }

    void rename(UnionPath from, UnionPath to) throws ErrnoException {
        NewEntries.checkName(to);
        branches.topWritable();
        Entry source;
        try (DirView view = lookup.openDir(from.parent())) {
            source = lookup.entry(view, from);
        }
        if (sameFile(source, to)) {
            return; // POSIX: renaming a name onto another name of the same file does nothing
        }
        int target = copyUp.placement().onlyTop() ? 0 : targetBranch(from, source, targetBound(to));
        if (source.stat().isDirectory()) {
            renameDirectory(from, to, target);
        } else if (source.branch() == target || !branches.writable(source.branch())
                || !moveAcross(from, to, source.branch(), target)) {
            renameFile(from, to, target);
        }
    }

    private boolean sameFile(Entry source, UnionPath to) throws ErrnoException {
        try (DirView view = lookup.openDir(to.parent())) {
            var target = lookup.find(view, to.name());
            return target.isPresent() && target.get().branch() == source.branch()
                    && target.get().stat().ino() == source.stat().ino();
        } catch (ErrnoException e) {
            return false; // the target's directory is missing: rename itself reports that
        }
    }

    /** The lowest branch where {@code to} shows after the rename: not below the entry that shows there now. */
    private int targetBound(UnionPath to) throws ErrnoException {
        try (DirView view = lookup.openDir(to.parent())) {
            int bound = lookup.newNameBound(view, to.name());
            Optional<Entry> existing = lookup.find(view, to.name());
            return existing.isPresent() ? Math.min(bound, existing.get().branch()) : bound;
        }
    }

    private int targetBranch(UnionPath from, Entry source, int bound) throws ErrnoException {
        if (branches.writable(source.branch()) && source.branch() <= bound) {
            return source.branch();
        }
        try (DirView view = lookup.openDir(from.parent())) {
            return copyUp.placement().forCopyUp(view, from, source.branch(), bound);
        }
    }

    private void renameFile(UnionPath from, UnionPath to, int target) throws ErrnoException {
        try (CopyUp.Target fromT = copyUp.entryIn(target, from, Long.MAX_VALUE)) {
            int branch = fromT.branch();
            int fromParent = fromT.dir();
            int toParent = copyUp.dirIn(branch, to.parent());
            try (PathLocks.Held held = locks.lock(from, to); DirView view = lookup.openDir(from.parent())) {
                Entry e = lookup.entry(view, from);
                if (e.branch() != branch) {
                    throw new ErrnoException(Errno.ENOENT, "renamed away during copy-up: " + from);
                }
                Removal.Plan plan = removal.plan(view, from.name(), false);
                Stat moving = Fs.stat(fromParent, from.name());
                Stat replaced = Fs.statOrNull(toParent, to.name());
                if (replaced != null && replaced.ino() == moving.ino()) {
                    return; // became one file by a copy-up and link meanwhile: still a no-op
                }
                if (plan.needsWhiteout()) {
                    Whiteouts.create(fromParent, from.name());
                }
                Optional<Entry> shown = shownAt(to);
                removal.removeEntries(view, from.name(), plan, false); // the covered copies, bottom-up
                Fs.rename(fromParent, from.name(), toParent, to.name());
                Whiteouts.remove(toParent, to.name());
                dropReplaced(lookup, inodes, to, shown, branch);
                if (replaced != null && replaced.nlink() == 1) {
                    inodes.removed(branch, replaced.ino());
                }
                DirTimes.changedIn(lookup, from.parent(), branch);
                DirTimes.changedIn(lookup, to.parent(), branch);
            } finally {
                Fs.close(toParent);
            }
        }
    }

    /**
     * Moves file {@code from} of writable branch {@code source} to {@code to} in writable branch
     * {@code target} by one rename(2), if both are on one file system; false if they are not
     * (nothing done). The file keeps its union inode number, recorded on it as by a copy-up.
     */
    private boolean moveAcross(UnionPath from, UnionPath to, int source, int target) throws ErrnoException {
        if (!copyUp.sameFileSystem(source, target)) {
            return false;
        }
        int fromParent = copyUp.existingDir(source, from.parent());
        if (fromParent < 0) {
            throw new ErrnoException(Errno.ENOENT, "changed during rename: " + from);
        }
        try {
            int toParent = copyUp.dirIn(target, to.parent());
            try (PathLocks.Held held = locks.lock(from, to); DirView view = lookup.openDir(from.parent())) {
                Entry e = lookup.entry(view, from);
                if (e.branch() != source) {
                    throw new ErrnoException(Errno.ENOENT, "changed during rename: " + from);
                }
                Removal.Plan plan = removal.plan(view, from.name(), false);
                Stat moving = e.stat();
                Stat replaced = Fs.statOrNull(toParent, to.name());
                copyUp.numberMovesWith(source, fromParent, from.name(), moving, target);
                if (plan.needsWhiteout()) {
                    Whiteouts.create(fromParent, from.name()); // beside the file: hides what it covers once it moves
                }
                Optional<Entry> shown = shownAt(to);
                removal.removeEntries(view, from.name(), plan, false);
                Fs.rename(fromParent, from.name(), toParent, to.name());
                Whiteouts.remove(toParent, to.name());
                dropReplaced(lookup, inodes, to, shown, target);
                if (replaced != null && replaced.nlink() == 1 && replaced.ino() != moving.ino()) {
                    inodes.removed(target, replaced.ino());
                }
                DirTimes.changedIn(lookup, from.parent(), source);
                DirTimes.changedIn(lookup, to.parent(), target);
                return true;
            } finally {
                Fs.close(toParent);
            }
        } finally {
            Fs.close(fromParent);
        }
    }

    private void renameDirectory(UnionPath from, UnionPath to, int target) throws ErrnoException {
        boolean onlyInTarget;
        try (DirView dir = lookup.openDir(from)) {
            onlyInTarget = dir.levels() == 1 && dir.branch(0) == target;
        }
        if (!onlyInTarget) {
            wholeTree.rename(from, to, target);
            return;
        }
        int fromParent = copyUp.dirIn(target, from.parent());
        try {
            int toParent = copyUp.dirIn(target, to.parent());
            try (PathLocks.Held held = locks.lock(from, to); DirView view = lookup.openDir(from.parent())) {
                Entry e = lookup.entry(view, from);
                if (e.branch() != target || !e.stat().isDirectory()) {
                    throw new ErrnoException(Errno.ENOENT, "changed during rename: " + from);
                }
                Removal.Plan plan = removal.planMove(view, from.name());
                boolean toLowerHolds;
                long replacedIno = -1;
                try (DirView toView = lookup.openDir(to.parent())) {
                    var replaced = lookup.replaceableDirectory(toView, to);
                    if (replaced.isPresent() && replaced.get().branch() == target) {
                        Whiteouts.clearMarkers(toParent, to.name());
                        replacedIno = replaced.get().stat().ino();
                    }
                    toLowerHolds = lookup.holders(toView, to.name()).stream().anyMatch(h -> h.branch() != target)
                            || Whiteouts.exists(toParent, to.name());
                }
                Stat moving = Fs.stat(fromParent, from.name());
                if (toLowerHolds) {
                    Whiteouts.makeOpaque(fromParent, from.name());
                }
                if (plan.needsWhiteout()) {
                    Whiteouts.create(fromParent, from.name());
                }
                Optional<Entry> shown = shownAt(to);
                removal.removeEntries(view, from.name(), plan, false);
                Fs.rename(fromParent, from.name(), toParent, to.name());
                Whiteouts.remove(toParent, to.name());
                dropReplaced(lookup, inodes, to, shown, target);
                if (toLowerHolds) {
                    // the opaque marker is bookkeeping: the directory itself did not change
                    Fs.utimens(toParent, to.name(), new long[] {moving.atimeSec(), moving.atimeNsec(),
                            moving.mtimeSec(), moving.mtimeNsec()});
                }
                if (replacedIno >= 0) {
                    inodes.removed(target, replacedIno);
                }
                DirTimes.changedIn(lookup, from.parent(), target);
                DirTimes.changedIn(lookup, to.parent(), target);
            } finally {
                Fs.close(toParent);
            }
        } finally {
            Fs.close(fromParent);
        }
    }

    private Optional<Entry> shownAt(UnionPath to) throws ErrnoException {
        try (DirView view = lookup.openDir(to.parent())) {
            return lookup.find(view, to.name());
        }
    }

    /**
     * After a rename put {@code to} into {@code branch}: the entry that showed at {@code to}
     * before, if it was in a lower writable branch, is covered now; it is removed, as rename(2)
     * replaces its target (a directory only if empty; one holding hidden names stays, covered).
     */
    static void dropReplaced(Lookup lookup, InodeTable inodes, UnionPath to, Optional<Entry> shown, int branch)
            throws ErrnoException {
        if (shown.isEmpty() || shown.get().branch() == branch || !lookup.branches().writable(shown.get().branch())) {
            return; // replaced by rename(2) itself, or read-only
        }
        Entry e = shown.get();
        try (DirView view = lookup.openDir(to.parent())) {
            int level = view.levelOf(e.branch());
            Stat st = level < 0 ? null : Fs.statOrNull(view.fd(level), to.name());
            if (st == null || st.ino() != e.stat().ino()) {
                return;
            }
            if (st.isDirectory()) {
                try {
                    Whiteouts.clearMarkers(view.fd(level), to.name());
                    Fs.rmdir(view.fd(level), to.name());
                } catch (ErrnoException ex) {
                    if (ex.errno() != Errno.ENOTEMPTY) {
                        throw ex;
                    }
                    return;
                }
            } else {
                Fs.unlink(view.fd(level), to.name());
                if (st.nlink() > 1) {
                    return;
                }
            }
            inodes.removed(e.branch(), st.ino());
        }
    }
}
