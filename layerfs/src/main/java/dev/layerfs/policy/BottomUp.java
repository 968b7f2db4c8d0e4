package dev.layerfs.policy;

import java.util.List;

/** {@code cpup=bu}: the writable branch nearest above the copy-up source, holding the parent or not. */
public final class BottomUp implements BranchPolicy {

    @Override
    public int choose(Choice c) {
        List<Integer> all = c.candidates();
        return all.get(all.size() - 1);
    }

    @Override
    public String spec() {
        return "bu";
    }
}
