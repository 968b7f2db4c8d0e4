package dev.layerfs.policy;

import java.util.List;
import java.util.OptionalInt;

/**
 * What a {@link BranchPolicy} chooses from: the writable branches a new name or a copy-up may go
 * to, and what it may want to know about each. Branches are indexes into the stack, top first.
 */
public interface Choice {

    /** The writable branches allowed, top first; never empty. */
    List<Integer> candidates();

    /** How many components of the target's parent directory {@code branch} holds (all of them: {@link #parentDepth()}). */
    int depthIn(int branch);

    /** The number of components of the target's parent directory (0 for the root). */
    int parentDepth();

    default boolean holdsParent(int branch) {
        return depthIn(branch) == parentDepth();
    }

    /** Bytes free for unprivileged use in {@code branch}'s file system. */
    long freeBytes(int branch);

    /** For a copy-up: the branch the entry is copied from. */
    OptionalInt source();

    /** Whether the new entry is a directory (round robin does not advance for mkdir, as in AUFS). */
    boolean directory();
}
