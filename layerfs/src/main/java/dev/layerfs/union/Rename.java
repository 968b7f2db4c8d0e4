package dev.layerfs.union;

import dev.layerfs.sys.Errno;
import dev.layerfs.sys.ErrnoException;
import dev.layerfs.sys.Fs;
import dev.layerfs.sys.Stat;

/**
 * rename. A file is copied up, then renamed within the writable branch; its old name gets a
 * whiteout if a lower branch still holds it. A directory that lives only in the writable branch
 * is renamed there (opaque if it lands where a lower directory was); a directory with content
 * in a lower branch is moved whole by {@link DirectoryRename} (a crash-safe tree copy-up).
 */
final class Rename {

    private final OpenBranches branches;
    private final Lookup lookup;
    private final CopyUp copyUp;
    private final PathLocks locks;
    private final InodeTable inodes;
    private final DirectoryRename wholeTree;

    Rename(Lookup lookup, CopyUp copyUp, PathLocks locks, InodeTable inodes) {
        this.branches = lookup.branches();
        this.lookup = lookup;
        this.copyUp = copyUp;
        this.locks = locks;
        this.inodes = inodes;
        this.wholeTree = new DirectoryRename(lookup, copyUp, locks, inodes);
    }

    void rename(UnionPath from, UnionPath to) throws ErrnoException {
        NewEntries.checkName(to);
        branches.upperRoot();
        Entry source;
        try (DirView view = lookup.openDir(from.parent())) {
            source = lookup.entry(view, from);
        }
        if (sameFile(source, to)) {
            return; // POSIX: renaming a name onto another name of the same file does nothing
        }
        if (source.stat().isDirectory()) {
            renameDirectory(from, to);
        } else {
            renameFile(from, to);
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

    private void renameFile(UnionPath from, UnionPath to) throws ErrnoException {
        int fromParent = copyUp.upperEntry(from);
        try {
            int toParent = copyUp.upperDir(to.parent());
            try (PathLocks.Held held = locks.lock(from, to)) {
                boolean lowerHolds;
                try (DirView view = lookup.openDir(from.parent())) {
                    Entry e = lookup.entry(view, from);
                    if (!e.inUpper()) {
                        throw new ErrnoException(Errno.ENOENT, "renamed away during copy-up: " + from);
                    }
                    lowerHolds = lookup.lowerHolds(view, e, from.name());
                }
                Stat moving = Fs.stat(fromParent, from.name());
                Stat replaced = Fs.statOrNull(toParent, to.name());
                if (replaced != null && replaced.ino() == moving.ino()) {
                    return; // became one file by a copy-up and link meanwhile: still a no-op
                }
                if (lowerHolds) {
                    Whiteouts.create(fromParent, from.name());
                }
                Fs.rename(fromParent, from.name(), toParent, to.name());
                Whiteouts.remove(toParent, to.name());
                if (replaced != null && replaced.nlink() == 1) {
                    inodes.removed(replaced.ino());
                }
            } finally {
                Fs.close(toParent);
            }
        } finally {
            Fs.close(fromParent);
        }
    }

    private void renameDirectory(UnionPath from, UnionPath to) throws ErrnoException {
        boolean spansBranches;
        try (DirView dir = lookup.openDir(from)) {
            spansBranches = dir.hasLowerLevels();
        }
        if (spansBranches) {
            wholeTree.rename(from, to);
            return;
        }
        int fromParent = copyUp.upperDir(from.parent());
        try {
            int toParent = copyUp.upperDir(to.parent());
            try (PathLocks.Held held = locks.lock(from, to)) {
                boolean fromLowerHolds;
                try (DirView view = lookup.openDir(from.parent())) {
                    fromLowerHolds = lookup.lowerHolds(view, lookup.entry(view, from), from.name());
                }
                boolean toLowerHolds = false;
                long replacedIno = -1;
                try (DirView view = lookup.openDir(to.parent())) {
                    var target = lookup.replaceableDirectory(view, to);
                    if (target.isPresent()) {
                        toLowerHolds = lookup.lowerHolds(view, target.get(), to.name());
                        if (target.get().inUpper()) {
                            Whiteouts.clearMarkers(toParent, to.name());
                            replacedIno = target.get().stat().ino();
                        }
                    } else {
                        toLowerHolds = Whiteouts.exists(toParent, to.name());
                    }
                }
                Stat moving = Fs.stat(fromParent, from.name());
                if (toLowerHolds) {
                    Whiteouts.makeOpaque(fromParent, from.name());
                }
                if (fromLowerHolds) {
                    Whiteouts.create(fromParent, from.name());
                }
                Fs.rename(fromParent, from.name(), toParent, to.name());
                Whiteouts.remove(toParent, to.name());
                if (toLowerHolds) {
                    // the opaque marker is bookkeeping: the directory itself did not change
                    Fs.utimens(toParent, to.name(), new long[] {moving.atimeSec(), moving.atimeNsec(),
                            moving.mtimeSec(), moving.mtimeNsec()});
                }
                if (replacedIno >= 0) {
                    inodes.removed(replacedIno);
                }
            } finally {
                Fs.close(toParent);
            }
        } finally {
            Fs.close(fromParent);
        }
    }
}
