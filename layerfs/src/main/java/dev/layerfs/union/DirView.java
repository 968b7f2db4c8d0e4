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

    DirView(int[] branches, int[] fds, int count, boolean ownsFds, int reach) {
        this.branches = branches;
        this.fds = fds;
        this.count = count;
        this.ownsFds = ownsFds;
        this.reach = reach;
    }

    /**
     * The lowest branch whose content of this directory would be visible: an opaque directory,
     * a whiteout or a non-directory in or above a lower branch cuts the rest off. A new entry
     * made in a branch below this would not show.
     */
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
        if (ownsFds) {
            for (int i = 0; i < count; i++) {
                Fs.close(fds[i]);
            }
        }
    }
}
