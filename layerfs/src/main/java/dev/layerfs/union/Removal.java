package dev.layerfs.union;

import dev.layerfs.sys.Errno;
import dev.layerfs.sys.ErrnoException;
import dev.layerfs.sys.Fs;

/**
 * unlink and rmdir: the entry goes from the writable branch, and a whiteout takes its place
 * when a lower branch still holds the name. The whiteout is made first, so the lower entry
 * never shows through, even for an instant.
 */
final class Removal {

    private final OpenBranches branches;
    private final Lookup lookup;
    private final CopyUp copyUp;
    private final PathLocks locks;
    private final InodeTable inodes;

    Removal(Lookup lookup, CopyUp copyUp, PathLocks locks, InodeTable inodes) {
        this.branches = lookup.branches();
        this.lookup = lookup;
        this.copyUp = copyUp;
        this.locks = locks;
        this.inodes = inodes;
    }

    void unlink(UnionPath path) throws ErrnoException {
        branches.upperRoot();
        int parent = copyUp.upperDir(path.parent());
        try (PathLocks.Held held = locks.lock(path)) {
            Entry e;
            boolean lowerHolds;
            try (DirView view = lookup.openDir(path.parent())) {
                e = lookup.entry(view, path);
                lowerHolds = lookup.lowerHolds(view, e, path.name());
            }
            if (e.stat().isDirectory()) {
                throw new ErrnoException(Errno.EISDIR, "is a directory: " + path);
            }
            if (lowerHolds) {
                Whiteouts.create(parent, path.name()); // first, so the name never shows a lower file
            }
            if (e.inUpper()) {
                Fs.unlink(parent, path.name());
                if (e.stat().nlink() == 1) {
                    inodes.removed(e.stat().ino());
                }
            }
        } finally {
            Fs.close(parent);
        }
    }

    void rmdir(UnionPath path) throws ErrnoException {
        branches.upperRoot();
        int parent = copyUp.upperDir(path.parent());
        try (PathLocks.Held held = locks.lock(path)) {
            Entry e;
            boolean lowerHolds;
            try (DirView view = lookup.openDir(path.parent())) {
                e = lookup.entry(view, path);
                lowerHolds = lookup.lowerHolds(view, e, path.name());
            }
            if (!e.stat().isDirectory()) {
                throw new ErrnoException(Errno.ENOTDIR, "not a directory: " + path);
            }
            try (DirView dir = lookup.openDir(path)) {
                if (!MergedListing.isEmpty(dir)) {
                    throw new ErrnoException(Errno.ENOTEMPTY, "directory not empty: " + path);
                }
            }
            if (lowerHolds) {
                Whiteouts.create(parent, path.name());
            }
            if (e.inUpper()) {
                Whiteouts.clearMarkers(parent, path.name());
                Fs.rmdir(parent, path.name());
                inodes.removed(e.stat().ino());
            }
        } finally {
            Fs.close(parent);
        }
    }
}
