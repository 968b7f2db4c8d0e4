package dev.layerfs.control;

import dev.layerfs.branch.Branch;
import dev.layerfs.branch.BranchSpecException;
import dev.layerfs.branch.BranchStack;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Applies branch edits to a stack, all or nothing: the result is checked by the same rules as a
 * {@code dirs=} value at mount (existing directories, no duplicates, modes), plus that no branch
 * lies inside the mount point or contains it. Plain logic: nothing is opened or changed here.
 */
public final class BranchEdits {

    private BranchEdits() {
    }

    public static BranchStack apply(BranchStack stack, List<BranchEdit> edits, Path mountPoint) {
        if (edits.isEmpty()) {
            throw new BranchSpecException("no branch change given");
        }
        List<Branch> branches = new ArrayList<>(stack.branches());
        for (BranchEdit edit : edits) {
            if (edit instanceof BranchEdit.Add a) {
                int at = a.position().orElse(branches.size());
                if (at > branches.size()) {
                    throw new BranchSpecException("index " + at + " out of range for branch " + a.dir()
                            + ": 0 (top) to " + branches.size() + " (bottom) in " + spec(branches));
                }
                branches.add(at, new Branch(a.dir(), a.mode()));
            } else if (edit instanceof BranchEdit.Delete d) {
                int i = find(branches, d.dir());
                if (branches.size() == 1) {
                    throw new BranchSpecException("cannot delete branch " + d.dir() + ": it is the only one");
                }
                branches.remove(i);
            } else if (edit instanceof BranchEdit.Modify m) {
                int i = find(branches, m.dir());
                branches.set(i, new Branch(branches.get(i).dir(), m.mode()));
            }
        }
        // The mount's own rules, error messages and all: existence, duplicates, where rw may be.
        BranchStack next = BranchStack.parse(spec(branches), Path.of("/"));
        for (Branch b : next.branches()) {
            if (b.dir().startsWith(mountPoint) || mountPoint.startsWith(b.dir())) {
                throw new BranchSpecException("branch " + b.dir() + ": " + (b.dir().startsWith(mountPoint)
                        ? "inside the mount point " : "contains the mount point ") + mountPoint);
            }
        }
        return next;
    }

    /** The index of the branch at {@code dir} (as given, or its real path), or an error naming it. */
    private static int find(List<Branch> branches, Path dir) {
        Path real = dir;
        try {
            real = dir.toRealPath();
        } catch (IOException e) {
            // gone or unreadable: it can still match a branch by the name it was added under
        }
        for (int i = 0; i < branches.size(); i++) {
            Path b = branches.get(i).dir();
            if (b.equals(dir) || b.equals(real)) {
                return i;
            }
        }
        throw new BranchSpecException("no branch " + dir + " in " + spec(branches));
    }

    private static String spec(List<Branch> branches) {
        return String.join(":", branches.stream().map(Branch::toString).toList());
    }
}
