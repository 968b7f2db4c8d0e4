package dev.layerfs.union;

import dev.layerfs.sys.Fs;

/**
 * One directory of the union as the branches that contribute to it, top first: each level is a
 * branch index and a path-only descriptor on that branch's directory. The levels stop at the
 * first opaque directory, whiteout or non-directory, so everything listed here is visible.
 */
public final class DirView implements AutoCloseable {

    private final int[] branches;
    private final int[] fds;
    private final int count;
    private final boolean ownsFds;
    private final int reach;
    private final ResolvedDirs.Shared shared; // a cached view's levels, released on close
    private boolean closed;

    DirView(int[] branches, int[] fds, int count, boolean ownsFds, int reach) {
        this.branches = branches;
        this.fds = fds;
        this.count = count;
        this.ownsFds = ownsFds;
        this.reach = reach;
        this.shared = null;
    }

    /** A view of cached levels ({@link ResolvedDirs}); closing it lets go of them. */
    DirView(ResolvedDirs.Shared shared) {
        this.branches = shared.branches;
        this.fds = shared.fds;
        this.count = shared.count;
        this.ownsFds = false;
        this.reach = shared.reach;
        this.shared = shared;
    }

    /**
     * The lowest branch whose content of this directory would be visible: an opaque directory,
     * a whiteout or a non-directory in or above a lower branch cuts the rest off. A new entry
     * made in a branch below this would not show.
     */
    /** This view's descriptors, handed over to the cache: closing this view no longer closes them. */
    ResolvedDirs.Shared share() {
        if (!ownsFds || shared != null || closed) {
            throw new IllegalStateException("only a fresh view owning its descriptors can be shared");
        }
        closed = true;
        return new ResolvedDirs.Shared(branches, fds, count, reach);
    }

    public int reach() {
        return reach;
    }

    /** The level of {@code branch} in this view, or -1 if that branch does not contribute. */
    public int levelOf(int branch) {
        for (int i = 0; i < count; i++) {
            if (branches[i] == branch) {
                return i;
            }
        }
        return -1;
    }

    public int levels() {
        return count;
    }

    public int branch(int level) {
        return branches[level];
    }

    public int fd(int level) {
        return fds[level];
    }


    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (shared != null) {
            shared.release();
        } else if (ownsFds) {
            for (int i = 0; i < count; i++) {
                Fs.close(fds[i]);
            }
        }
    }
}
