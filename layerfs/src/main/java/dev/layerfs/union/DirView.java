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

    DirView(int[] branches, int[] fds, int count, boolean ownsFds) {
        this.branches = branches;
        this.fds = fds;
        this.count = count;
        this.ownsFds = ownsFds;
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

    /** True when some branch other than the writable one contributes. */
    public boolean hasLowerLevels() {
        for (int i = 0; i < count; i++) {
            if (branches[i] != 0) {
                return true;
            }
        }
        return false;
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
