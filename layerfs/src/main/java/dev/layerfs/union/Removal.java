package dev.layerfs.union;

import dev.layerfs.sys.Errno;
import dev.layerfs.sys.ErrnoException;
import dev.layerfs.sys.Fs;

import java.util.List;

/**
 * unlink and rmdir. A name may be held by several branches at once (the one that shows and
 * those it covers). Removing it removes it from every writable branch that holds it, from the
 * top down to the first branch where that is not possible (a read-only branch, or a directory
 * whose content is hidden by whiteouts above); if any branch still holds the name, a whiteout
 * goes into the topmost writable branch the name was removed from, or, when the name shows from
 * a read-only branch, into the branch the {@code cpup=} policy chooses. The whiteout is made
 * first and the entries are removed bottom-up, so no covered entry ever shows, even for an instant.
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

    /**
     * What removing a name means: the entries to remove (top first, writable branches only) and
     * whether some branch still holds the name after that, so a whiteout is needed.
     */
    record Plan(List<Entry> holders, List<Entry> removable) {

        boolean needsWhiteout() {
            return holders.size() > removable.size();
        }

        /** The entry that shows. */
        Entry top() {
            return holders.get(0);
        }
    }

    /**
     * The plan for removing {@code name} from directory view {@code parent}. With
     * {@code wholeTrees} a writable directory goes with its content (its tree has been copied
     * elsewhere); otherwise only a directory holding nothing but markers can go.
     */
    Plan plan(DirView parent, String name, boolean wholeTrees) throws ErrnoException {
        List<Entry> holders = lookup.holders(parent, name);
        int n = 0;
        while (n < holders.size() && removable(parent, holders.get(n), name, wholeTrees)) {
            n++;
        }
        return new Plan(holders, holders.subList(0, n));
    }

    /** As {@link #plan}, for a name whose entry that shows moves elsewhere rather than going. */
    Plan planMove(DirView parent, String name) throws ErrnoException {
        List<Entry> holders = lookup.holders(parent, name);
        int n = holders.isEmpty() ? 0 : 1;
        while (n < holders.size() && removable(parent, holders.get(n), name, false)) {
            n++;
        }
        return new Plan(holders, holders.subList(0, n));
    }

    private boolean removable(DirView parent, Entry e, String name, boolean wholeTrees) throws ErrnoException {
        if (!branches.writable(e.branch())) {
            return false;
        }
        if (!e.stat().isDirectory() || wholeTrees) {
            return true;
        }
        int dir = Fs.open(parent.fd(e.level()), name, Fs.O_PATH | Fs.O_DIRECTORY | Fs.O_NOFOLLOW, 0);
        try {
            return Fs.list(dir, ".").stream().allMatch(d -> Names.isReserved(d.name()));
        } finally {
            Fs.close(dir);
        }
    }

    /**
     * The writable branch a whiteout for {@code path} goes to, under {@code plan}: the topmost
     * branch it is removed from, else where the copy-up policy would copy the entry that shows.
     */
    int whiteoutBranch(DirView parent, UnionPath path, Plan plan) throws ErrnoException {
        if (!plan.removable().isEmpty()) {
            return plan.removable().get(0).branch();
        }
        return copyUp.placement().forCopyUp(parent, path, plan.top().branch(), Integer.MAX_VALUE);
    }

    /** Removes the entries of {@code plan} bottom-up; the top one too only if {@code withTop}. */
    void removeEntries(DirView parent, String name, Plan plan, boolean withTop) throws ErrnoException {
        List<Entry> all = plan.removable();
        for (int i = all.size() - 1; i >= (withTop ? 0 : 1); i--) {
            Entry e = all.get(i);
            int dir = parent.fd(e.level());
            if (e.stat().isDirectory()) {
                Whiteouts.clearMarkers(dir, name);
                Fs.rmdir(dir, name);
                inodes.removed(e.branch(), e.stat().ino());
            } else {
                Fs.unlink(dir, name);
                if (e.stat().nlink() == 1) {
                    inodes.removed(e.branch(), e.stat().ino());
                }
            }
        }
    }

    void unlink(UnionPath path) throws ErrnoException {
        remove(path, false, null);
    }

    void rmdir(UnionPath path) throws ErrnoException {
        remove(path, true, null);
    }

    /** What becomes of the entry that shows, instead of being removed (see {@link HiddenFiles}). */
    interface TopAction {
        void apply(DirView parent, Entry top, int whiteoutBranch) throws ErrnoException;
    }

    /**
     * Removes the name {@code path}; with a {@code topAction}, the entry that shows is handed to
     * it rather than removed (the other holders go as usual).
     */
    void remove(UnionPath path, boolean directory, TopAction topAction) throws ErrnoException {
        branches.topWritable();
        for (int attempt = 0; ; attempt++) {
            // a whiteout in a branch that does not hold the parent needs the parent made there
            // first, before the name's lock (directory copy-ups take their own lock alone)
            int prepared = -1;
            int preparedBranch = copyUp.placement().onlyTop() ? 0 : whiteoutBranchIfShownFromReadOnly(path);
            try {
                if (preparedBranch >= 0) {
                    prepared = copyUp.dirIn(preparedBranch, path.parent());
                }
                if (removeLocked(path, directory, topAction, prepared, preparedBranch)) {
                    return;
                }
                if (attempt >= 3) {
                    throw new ErrnoException(Errno.EAGAIN, "branches kept changing while removing " + path);
                }
            } finally {
                Fs.close(prepared);
            }
        }
    }

    /** Where a whiteout for {@code path} would go if the entry that shows is in a read-only branch, else -1. */
    private int whiteoutBranchIfShownFromReadOnly(UnionPath path) {
        try (DirView view = lookup.openDir(path.parent())) {
            List<Entry> holders = lookup.holders(view, path.name());
            if (!holders.isEmpty() && !branches.writable(holders.get(0).branch())) {
                return whiteoutBranch(view, path, new Plan(holders, List.of()));
            }
            return -1;
        } catch (ErrnoException e) {
            return -1; // the removal itself, under the lock, reports what is wrong
        }
    }

    /** Returns false if the branches changed so that the prepared directory does not fit; the caller retries. */
    private boolean removeLocked(UnionPath path, boolean directory, TopAction topAction, int prepared, int preparedBranch)
            throws ErrnoException {
        try (PathLocks.Held held = locks.lock(path); DirView view = lookup.openDir(path.parent())) {
            Entry e = lookup.entry(view, path);
            if (directory && !e.stat().isDirectory()) {
                throw new ErrnoException(Errno.ENOTDIR, "not a directory: " + path);
            }
            if (!directory && e.stat().isDirectory()) {
                throw new ErrnoException(Errno.EISDIR, "is a directory: " + path);
            }
            if (directory) {
                try (DirView dir = lookup.openDir(path)) {
                    if (!MergedListing.isEmpty(dir)) {
                        throw new ErrnoException(Errno.ENOTEMPTY, "directory not empty: " + path);
                    }
                }
            }
            Plan plan = plan(view, path.name(), false);
            int whiteoutBranch = -1;
            if (plan.needsWhiteout() || topAction != null) {
                whiteoutBranch = whiteoutBranch(view, path, plan);
            }
            if (plan.needsWhiteout()) {
                int level = view.levelOf(whiteoutBranch);
                if (!plan.removable().isEmpty() && level >= 0) {
                    Whiteouts.create(view.fd(level), path.name()); // first, so the name never shows a covered entry
                } else if (whiteoutBranch == preparedBranch && prepared >= 0) {
                    Whiteouts.create(prepared, path.name());
                } else {
                    return false;
                }
            }
            if (topAction != null) {
                removeEntries(view, path.name(), plan, false);
                topAction.apply(view, e, whiteoutBranch);
            } else {
                removeEntries(view, path.name(), plan, true);
            }
            DirTimes.changedIn(lookup, path.parent(), plan.removable().isEmpty() ? whiteoutBranch : plan.top().branch());
            return true;
        }
    }
}
