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

    private final Lookup lookup;
    private final CopyUp copyUp;
    private final PathLocks locks;
    private final InodeTable inodes;
    private final int work;
    /** A hidden file: its name in the work directory and the path it was opened at. */
    private record Hidden(String workName, UnionPath openedAt) {
    }

    /** Union path of the hidden name to the hidden file. */
    private final ConcurrentHashMap<String, Hidden> workNames = new ConcurrentHashMap<>();

    HiddenFiles(Lookup lookup, CopyUp copyUp, PathLocks locks, InodeTable inodes, int workDir) {
        this.lookup = lookup;
        this.copyUp = copyUp;
        this.locks = locks;
        this.inodes = inodes;
        this.work = workDir;
    }

    /** Whether a rename to {@code to} has the name libfuse gives a removed open file. */
    static boolean isHidingName(UnionPath to) {
        return HIDING_NAME.matcher(to.name()).matches();
    }

    /** The work-directory name standing for hidden name {@code path}, if it is one. */
    Optional<String> workName(UnionPath path) {
        if (workNames.isEmpty() || !path.name().startsWith(PREFIX)) {
            return Optional.empty();
        }
        return Optional.ofNullable(workNames.get(path.toString())).map(Hidden::workName);
    }

    int workDir() {
        return work;
    }

    /** Takes {@code from} out of the union into the work directory, known from now on as {@code hidden}. */
    void hide(UnionPath from, UnionPath hidden) throws ErrnoException {
        int parent = copyUp.upperDir(from.parent());
        try (PathLocks.Held held = locks.lock(from)) {
            Entry e;
            boolean lowerHolds;
            try (DirView view = lookup.openDir(from.parent())) {
                e = lookup.entry(view, from);
                lowerHolds = lookup.lowerHolds(view, e, from.name());
                if (lowerHolds) {
                    Whiteouts.create(parent, from.name());
                }
                String tmp;
                if (e.inUpper()) {
                    tmp = copyUp.tempName();
                    Fs.rename(parent, from.name(), work, tmp);
                } else { // open from a lower branch: keep a copy to answer for the hidden name
                    tmp = copyUp.assemble(view.fd(e.level()), e, from.name(), from, Long.MAX_VALUE);
                    inodes.copiedUp(Fs.stat(work, tmp).ino(), copyUp.numberFor(view.fd(e.level()), e, from.name()));
                }
                workNames.put(hidden.toString(), new Hidden(tmp, from));
            }
        } finally {
            Fs.close(parent);
        }
    }

    /** Removes hidden name {@code path} (libfuse does at the last close); false if it is not one. */
    boolean remove(UnionPath path) throws ErrnoException {
        Optional<String> tmp = workName(path);
        if (tmp.isEmpty()) {
            return false;
        }
        drop(path.toString(), tmp.get());
        return true;
    }

    /**
     * The last handle opened at {@code openedAt} is closed: its hidden file goes now. libfuse
     * would remove the hidden name itself, but cannot once the directory that held it is gone.
     */
    void closed(UnionPath openedAt) throws ErrnoException {
        for (var e : workNames.entrySet()) {
            if (e.getValue().openedAt().equals(openedAt)) {
                drop(e.getKey(), e.getValue().workName());
            }
        }
    }

    int count() {
        return workNames.size();
    }

    boolean isEmpty() {
        return workNames.isEmpty();
    }

    private void drop(String hiddenPath, String tmp) throws ErrnoException {
        if (workNames.remove(hiddenPath) == null) {
            return; // dropped by the other of close and unlink
        }
        Stat st = Fs.statOrNull(work, tmp);
        WorkDir.removeTree(work, tmp);
        if (st != null && st.nlink() <= 1) {
            inodes.removed(st.ino());
        }
    }
}
