package dev.layerfs.policy;

/**
 * {@code pmfs[:SECONDS]}: among the writable branches that hold the parent directory (as
 * {@code tdp} would consider them), the one with the most free space.
 */
public final class ParentMostFreeSpace implements BranchPolicy {

    private final long seconds;
    private final FreeSpace free;

    public ParentMostFreeSpace(long seconds) {
        this.seconds = seconds;
        this.free = new FreeSpace(seconds);
    }

    @Override
    public int choose(Choice c) {
        return free.most(c, TopDownParent.deepest(c, c.candidates()));
    }

    @Override
    public String spec() {
        return seconds == 0 ? "pmfs" : "pmfs:" + seconds;
    }
}
