package dev.layerfs.union;

import dev.layerfs.sys.ErrnoException;
import dev.layerfs.sys.Fs;

/**
 * The work directory ({@value Names#WORK_DIR}) of every writable branch, held open: an entry is
 * always assembled in the work directory of the branch it lands in, so the final rename never
 * crosses file systems.
 */
final class WorkDirs implements AutoCloseable {

    private final int[] fds;

    private WorkDirs(int[] fds) {
        this.fds = fds;
    }

    /**
     * Completes interrupted directory renames, then creates or empties each writable branch's
     * work directory. Every branch is recovered before any is emptied: a recovery may move an
     * old tree into another branch's work directory for removal.
     */
    static WorkDirs prepare(OpenBranches branches) throws ErrnoException {
        int[] fds = new int[branches.size()];
        java.util.Arrays.fill(fds, -1);
        try {
            for (int b : branches.writableBranches()) {
                RenameJournal.recover(branches, b);
            }
            for (int b : branches.writableBranches()) {
                fds[b] = WorkDir.prepare(branches.root(b));
            }
        } catch (ErrnoException e) {
            new WorkDirs(fds).close();
            throw e;
        }
        return new WorkDirs(fds);
    }

    /** The work directory of writable branch {@code branch}. */
    int of(int branch) {
        int fd = fds[branch];
        if (fd < 0) {
            throw new IllegalArgumentException("branch " + branch + " is not writable: it has no work directory");
        }
        return fd;
    }

    /** The work directory of the topmost writable branch, or -1 for a read-only union. */
    int top() {
        for (int fd : fds) {
            if (fd >= 0) {
                return fd;
            }
        }
        return -1;
    }

    @Override
    public void close() {
        for (int fd : fds) {
            Fs.close(fd);
        }
    }
}
