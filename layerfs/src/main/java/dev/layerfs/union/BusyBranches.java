package dev.layerfs.union;

import dev.layerfs.branch.Branch;
import dev.layerfs.sys.Errno;
import dev.layerfs.sys.ErrnoException;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Whether a branch change would pull a branch from under open files: a branch leaving the union
 * with files or directories of the mount open in it, or a writable branch becoming read-only
 * with files open for writing in it. The answer is EBUSY naming the branch, unless forced.
 */
final class BusyBranches {

    private BusyBranches() {
    }

    /** EBUSY if {@code next} would replace {@code now} (the current stack) under open files. */
    static void check(OpenBranches.Generation now, OpenBranches.Generation next, OpenFiles files,
                      OpenDirs dirs, Lookup lookup, int hiddenFiles) throws ErrnoException {
        Set<Integer> inOpenDirs = null;
        List<String> busy = new ArrayList<>();
        for (int i = 0; i < now.size(); i++) {
            int id = now.id(i);
            Branch was = now.stack().get(i);
            var at = next.indexOf(id);
            if (at.isEmpty()) {
                if (inOpenDirs == null) {
                    inOpenDirs = branchesOfOpenDirs(dirs, lookup);
                }
                long open = files.openIn(id, false);
                boolean dir = inOpenDirs.contains(id);
                if (open > 0 || dir) {
                    busy.add(was.dir() + " (" + (open > 0 ? open + " open file" + (open > 1 ? "s" : "") : "")
                            + (open > 0 && dir ? ", " : "") + (dir ? "open directories" : "") + ")");
                }
            } else if (was.mode().writable() && !next.stack().get(at.getAsInt()).mode().writable()) {
                long writing = files.openIn(id, true);
                if (writing > 0) {
                    busy.add(was.dir() + " (" + writing + " file" + (writing > 1 ? "s" : "") + " open for writing)");
                }
            }
        }
        if (hiddenFiles > 0 && !sameWritableLayout(now, next)) {
            busy.add(hiddenFiles + " removed file" + (hiddenFiles > 1 ? "s" : "")
                    + " still open in the work directory of " + String.join(" or ", writableDirs(now)));
        }
        if (!busy.isEmpty()) {
            throw new ErrnoException(Errno.EBUSY, "branch busy: " + String.join("; ", busy)
                    + "; close them or use --force");
        }
    }

    /**
     * Whether the writable branches are the same ones at the same positions: files removed while
     * open are kept in a writable branch's work directory and known by that branch's position.
     */
    static boolean sameWritableLayout(OpenBranches.Generation now, OpenBranches.Generation next) {
        return layout(now).equals(layout(next));
    }

    private static List<List<Integer>> layout(OpenBranches.Generation g) {
        return g.stack().writableIndexes().stream().map(i -> List.of(i, g.id(i))).toList();
    }

    private static List<String> writableDirs(OpenBranches.Generation g) {
        return g.stack().writableIndexes().stream().map(i -> g.stack().get(i).dir().toString()).toList();
    }

    /** The ids of every branch contributing to a directory open through the mount. */
    private static Set<Integer> branchesOfOpenDirs(OpenDirs dirs, Lookup lookup) throws ErrnoException {
        Set<Integer> ids = new HashSet<>();
        for (UnionPath p : dirs.paths()) {
            try (DirView v = lookup.openDir(p)) {
                for (int l = 0; l < v.levels(); l++) {
                    ids.add(lookup.branches().id(v.branch(l)));
                }
            } catch (ErrnoException e) {
                if (e.errno() != Errno.ENOENT && e.errno() != Errno.ENOTDIR) {
                    throw e;
                }
                // renamed or removed since it was opened: nothing to pin
            }
        }
        return ids;
    }
}
