package dev.layerfs.union;

import dev.layerfs.sys.ErrnoException;
import dev.layerfs.sys.Fs;

/**
 * A union directory shows the times of its topmost level. When a name changes in a lower
 * writable level (a policy put a new file there, or the name lived there), the kernel changed
 * that level's modification time, not the one the union shows: it is set to now as well. A
 * read-only top level keeps its time (it is never written).
 */
final class DirTimes {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(DirTimes.class);
    private static final long UTIME_NOW = (1L << 30) - 1;
    private static final long UTIME_OMIT = (1L << 30) - 2;

    private DirTimes() {
    }

    /** For {@link #changedIn}: the change may not have touched the top level, whichever branch that is. */
    static final int ANY = -1;

    /** A name in union directory {@code dir} changed in branch {@code branch}. Never fails the change itself. */
    static void changedIn(Lookup lookup, UnionPath dir, int branch) {
        if (lookup.branches().writableBranches().size() < 2) {
            return; // one writable branch: every change lands in the directory's top level (copied up first)
        }
        try (DirView view = lookup.openDir(dir)) {
            int top = view.branch(0);
            if (top != branch && lookup.branches().writable(top)) {
                Fs.utimens(view.fd(0), ".", new long[] {0, UTIME_OMIT, 0, UTIME_NOW});
            }
        } catch (ErrnoException e) {
            LOG.debug("could not update the modification time of {}: {}", dir, e.toString());
        }
    }
}
