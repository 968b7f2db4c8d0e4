package dev.layerfs.policy;

import java.util.List;

/**
 * {@code tdp}, the default for both new names and copy-ups: the topmost writable branch that
 * holds the parent directory. If none holds all of it, the topmost one holding the longest part
 * of it (every branch holds the root), where the missing directories are then created.
 */
public final class TopDownParent implements BranchPolicy {

    @Override
    public int choose(Choice c) {
        return deepest(c, c.candidates()).get(0);
    }

    /** The candidates holding the longest part of the parent directory, top first. */
    static List<Integer> deepest(Choice c, List<Integer> among) {
        int best = among.stream().mapToInt(c::depthIn).max().orElseThrow();
        return among.stream().filter(b -> c.depthIn(b) == best).toList();
    }

    @Override
    public String spec() {
        return "tdp";
    }
}
