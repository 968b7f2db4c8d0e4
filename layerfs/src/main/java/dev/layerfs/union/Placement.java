package dev.layerfs.union;

import dev.layerfs.policy.BranchPolicy;
import dev.layerfs.policy.Choice;
import dev.layerfs.policy.WritePolicies;
import dev.layerfs.sys.Errno;
import dev.layerfs.sys.ErrnoException;
import dev.layerfs.sys.Fs;

import java.util.List;
import java.util.OptionalInt;

/**
 * Which writable branch a write lands in, when it cannot stay where the entry already is: a new
 * name goes where the {@code create=} policy says, a copy-up where the {@code cpup=} policy says.
 * Only branches where the result would show are offered to a policy: for a new name none below
 * a whiteout of it or below where its directory is cut off ({@link Lookup#newNameBound}), for a
 * copy-up only branches above the source. With one writable branch the answer is always it.
 */
final class Placement {

    private final OpenBranches branches;
    private final Lookup lookup;
    private final WritePolicies policies;

    Placement(Lookup lookup, WritePolicies policies) {
        this.branches = lookup.branches();
        this.lookup = lookup;
        this.policies = policies;
    }

    /**
     * Whether branch 0 is the only writable branch, the classic union: every write goes there,
     * so callers skip the look-ups a choice needs.
     */
    boolean onlyTop() {
        var writable = branches.writableBranches();
        return writable.size() == 1 && writable.get(0) == 0;
    }

    /** The branch for a new entry at {@code path}, whose parent directory's view is {@code parent}. */
    int forNewName(DirView parent, UnionPath path, boolean directory) throws ErrnoException {
        return forNewName(parent, path, directory, Integer.MAX_VALUE);
    }

    /** As {@link #forNewName(DirView, UnionPath, boolean)}, in branch {@code lowest} or above. */
    int forNewName(DirView parent, UnionPath path, boolean directory, int lowest) throws ErrnoException {
        int bound = Math.min(lowest, lookup.newNameBound(parent, path.name()));
        List<Integer> candidates = writableUpTo(bound);
        if (candidates.isEmpty()) {
            throw new ErrnoException(Errno.EROFS, "no writable branch where " + path + " would show, in " + branches.stack().spec());
        }
        if (candidates.size() == 1) {
            return candidates.get(0);
        }
        return choose(policies.create(), candidates, parent, path.parent(), OptionalInt.empty(), directory);
    }

    /**
     * The branch to copy the entry at {@code path}, which lives in branch {@code source}, up to:
     * a writable branch above the source, and not below {@code lowest}.
     */
    int forCopyUp(DirView parent, UnionPath path, int source, int lowest) throws ErrnoException {
        List<Integer> candidates = writableUpTo(Math.min(lowest, source - 1));
        if (candidates.isEmpty()) {
            throw new ErrnoException(Errno.EROFS, path + " is in read-only branch "
                    + branches.stack().get(source).dir() + " with no writable branch above it");
        }
        if (candidates.size() == 1) {
            return candidates.get(0);
        }
        return choose(policies.copyUp(), candidates, parent, path.parent(), OptionalInt.of(source), false);
    }

    private List<Integer> writableUpTo(int lowest) {
        return branches.writableBranches().stream().filter(b -> b <= lowest).toList();
    }

    private int choose(BranchPolicy policy, List<Integer> candidates, DirView parent, UnionPath dir,
                       OptionalInt source, boolean directory) throws ErrnoException {
        int[] depth = new int[branches.size()];
        java.util.Arrays.fill(depth, -1);
        ErrnoException[] failure = new ErrnoException[1];
        Choice choice = new Choice() {
            @Override
            public List<Integer> candidates() {
                return candidates;
            }

            @Override
            public int depthIn(int branch) {
                if (depth[branch] < 0) {
                    depth[branch] = parent.levelOf(branch) >= 0 ? dir.components().size() : existingDepth(branch, dir);
                }
                return depth[branch];
            }

            @Override
            public int parentDepth() {
                return dir.components().size();
            }

            @Override
            public long freeBytes(int branch) {
                try {
                    return Statfs.freeBytes(branches.root(branch));
                } catch (ErrnoException e) {
                    failure[0] = e;
                    return 0;
                }
            }

            @Override
            public OptionalInt source() {
                return source;
            }

            @Override
            public boolean directory() {
                return directory;
            }
        };
        int chosen = policy.choose(choice);
        if (failure[0] != null) {
            throw failure[0];
        }
        if (!candidates.contains(chosen)) {
            throw new IllegalStateException(policy.spec() + " chose branch " + chosen + ", not one of " + candidates);
        }
        return chosen;
    }

    /** How many leading components of {@code dir} exist as directories in {@code branch}. */
    private int existingDepth(int branch, UnionPath dir) {
        int depth = 0;
        int cur = branches.root(branch);
        try {
            for (String name : dir.components()) {
                int fd = Fs.openDirectory(cur, name);
                if (cur != branches.root(branch)) {
                    Fs.close(cur);
                }
                if (fd < 0) {
                    return depth;
                }
                cur = fd;
                depth++;
            }
            return depth;
        } catch (ErrnoException e) {
            return depth;
        } finally {
            if (cur != branches.root(branch)) {
                Fs.close(cur);
            }
        }
    }
}
