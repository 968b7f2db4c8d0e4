package dev.layerfs.policy;

import java.util.List;

/**
 * {@code cpup=bup}: the writable branch nearest above the copy-up source that holds the parent
 * directory (or, if none holds all of it, the longest part of it).
 */
public final class BottomUpParent implements BranchPolicy {

    @Override
    public int choose(Choice c) {
        List<Integer> deepest = TopDownParent.deepest(c, c.candidates());
        return deepest.get(deepest.size() - 1);
    }

    @Override
    public String spec() {
        return "bup";
    }
}
