package dev.layerfs.union;

import dev.layerfs.sys.ErrnoException;
import dev.layerfs.sys.Fs;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * The work directory ({@value Names#WORK_DIR}) of every writable branch, held open and kept by
 * branch id: an entry is always assembled in the work directory of the branch it lands in, so
 * the final rename never crosses file systems.
 */
final class WorkDirs implements AutoCloseable {

    private final OpenBranches branches;
    private final Map<Integer, Integer> fdById;
    /** Ids whose directory this instance prepared itself (not taken over from the previous one). */
    private final Set<Integer> opened;

    private WorkDirs(OpenBranches branches, Map<Integer, Integer> fdById, Set<Integer> opened) {
        this.branches = branches;
        this.fdById = fdById;
        this.opened = opened;
    }

    /**
     * The work directories of the current stack's writable branches: those {@code previous}
     * (may be null) already holds are taken over as they are; for the others, interrupted
     * directory renames are completed, then the directories are created or emptied. Every new
     * branch is recovered before any is emptied: a recovery may move an old tree into another
     * branch's work directory for removal.
     */
    static WorkDirs prepare(OpenBranches branches, WorkDirs previous) throws ErrnoException {
        Map<Integer, Integer> fds = new HashMap<>();
        Set<Integer> opened = new HashSet<>();
        WorkDirs result = new WorkDirs(branches, fds, opened);
        try {
            for (int b : branches.writableBranches()) {
                Integer kept = previous == null ? null : previous.fdById.get(branches.id(b));
                if (kept != null) {
                    fds.put(branches.id(b), kept);
                } else {
                    RenameJournal.recover(branches, b);
                }
            }
            for (int b : branches.writableBranches()) {
                int id = branches.id(b);
                if (!fds.containsKey(id)) {
                    fds.put(id, WorkDir.prepare(branches.root(b)));
                    opened.add(id);
                }
            }
        } catch (ErrnoException e) {
            result.discard();
            throw e;
        }
        return result;
    }

    /** The work directory of writable branch {@code branch} (an index into the current stack). */
    int of(int branch) {
        Integer fd = fdById.get(branches.id(branch));
        if (fd == null) {
            throw new IllegalArgumentException("branch " + branches.stack().get(branch) + " has no work directory");
        }
        return fd;
    }

    /** Closes what this instance prepared itself: used when it is dropped before use. */
    void discard() {
        for (int id : opened) {
            Fs.close(fdById.get(id));
        }
    }

    /** Closes the directories {@code next} did not take over. */
    void retire(WorkDirs next) {
        fdById.forEach((id, fd) -> {
            if (!fd.equals(next.fdById.get(id))) {
                Fs.close(fd);
            }
        });
    }

    @Override
    public void close() {
        fdById.values().forEach(Fs::close);
    }
}
