package dev.layerfs.union;

import dev.layerfs.sys.ErrnoException;
import dev.layerfs.sys.Fs;
import dev.layerfs.sys.Stat;

import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Files removed while still open. libfuse 2 keeps such a file alive by renaming it to
 * {@code .fuse_hiddenNNNN} in its directory until the last close, then removes that name.
 * layerfs moves it into the work directory instead and answers for the hidden name from there:
 * it never shows in a listing, never keeps its directory from being removed, and never lands in
 * the writable branch (a crash leaves it in the work directory, which the next mount empties).
 */
final class HiddenFiles {

    private static final String PREFIX = ".fuse_hidden";
    /** libfuse 2.9's hidden_name(): ".fuse_hidden%08x%08x". */
    private static final java.util.regex.Pattern HIDING_NAME = java.util.regex.Pattern.compile("\\.fuse_hidden[0-9a-f]{16}");

    private final CopyUp copyUp;
    private final Removal removal;
    private final InodeTable inodes;

    /** Where a hidden file is: its writable branch, that branch's work directory, its name there. */
    record WorkName(int branch, int dir, String name) {
    }

    /** A hidden file and the path it was opened at. */
    private record Hidden(WorkName at, UnionPath openedAt) {
    }

    /** Union path of the hidden name to the hidden file. */
    private final ConcurrentHashMap<String, Hidden> workNames = new ConcurrentHashMap<>();

    HiddenFiles(CopyUp copyUp, Removal removal, InodeTable inodes) {
        this.copyUp = copyUp;
        this.removal = removal;
        this.inodes = inodes;
    }

    /** Whether a rename to {@code to} has the name libfuse gives a removed open file. */
    static boolean isHidingName(UnionPath to) {
        return HIDING_NAME.matcher(to.name()).matches();
    }

    /** Where the file standing for hidden name {@code path} is, if it is one. */
    Optional<WorkName> workName(UnionPath path) {
        if (workNames.isEmpty() || !path.name().startsWith(PREFIX)) {
            return Optional.empty();
        }
        return Optional.ofNullable(workNames.get(path.toString())).map(Hidden::at);
    }

    /**
     * Takes {@code from} out of the union into a work directory, known from now on as
     * {@code hidden}: removed like by unlink, except that the entry that shows moves into its
     * branch's work directory (or, from a read-only branch, is copied into the work directory
     * of the branch that takes the whiteout).
     */
    void hide(UnionPath from, UnionPath hidden) throws ErrnoException {
        removal.remove(from, false, (view, e, whiteoutBranch) -> {
            WorkName at;
            if (copyUp.branches().writable(e.branch())) {
                int work = copyUp.workDir(e.branch());
                String tmp = copyUp.tempName();
                Fs.rename(view.fd(e.level()), from.name(), work, tmp);
                at = new WorkName(e.branch(), work, tmp);
            } else { // open from a read-only branch: keep a copy to answer for the hidden name
                String tmp = copyUp.assemble(view.fd(e.level()), e, whiteoutBranch, from.name(), from, Long.MAX_VALUE);
                int work = copyUp.workDir(whiteoutBranch);
                inodes.copiedUp(whiteoutBranch, Fs.stat(work, tmp).ino(), copyUp.numberFor(view.fd(e.level()), e, from.name()));
                at = new WorkName(whiteoutBranch, work, tmp);
            }
            workNames.put(hidden.toString(), new Hidden(at, from));
        });
    }

    /** Removes hidden name {@code path} (libfuse does at the last close); false if it is not one. */
    boolean remove(UnionPath path) throws ErrnoException {
        Optional<WorkName> at = workName(path);
        if (at.isEmpty()) {
            return false;
        }
        drop(path.toString(), at.get());
        return true;
    }

    /**
     * The last handle opened at {@code openedAt} is closed: its hidden file goes now. libfuse
     * would remove the hidden name itself, but cannot once the directory that held it is gone.
     */
    void closed(UnionPath openedAt) throws ErrnoException {
        for (var e : workNames.entrySet()) {
            if (e.getValue().openedAt().equals(openedAt)) {
                drop(e.getKey(), e.getValue().at());
            }
        }
    }

    int count() {
        return workNames.size();
    }

    boolean isEmpty() {
        return workNames.isEmpty();
    }

    private void drop(String hiddenPath, WorkName at) throws ErrnoException {
        if (workNames.remove(hiddenPath) == null) {
            return; // dropped by the other of close and unlink
        }
        Stat st = Fs.statOrNull(at.dir(), at.name());
        WorkDir.removeTree(at.dir(), at.name());
        if (st != null && st.nlink() <= 1) {
            inodes.removed(at.branch(), st.ino());
        }
    }
}
