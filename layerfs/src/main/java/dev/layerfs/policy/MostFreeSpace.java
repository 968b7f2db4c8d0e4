package dev.layerfs.policy;

/** {@code mfs[:SECONDS]}: the writable branch with the most free space. */
public final class MostFreeSpace implements BranchPolicy {

    private final long seconds;
    private final FreeSpace free;

    public MostFreeSpace(long seconds) {
        this.seconds = seconds;
        this.free = new FreeSpace(seconds);
    }

    @Override
    public int choose(Choice c) {
        return free.most(c, c.candidates());
    }

    @Override
    public String spec() {
        return seconds == 0 ? "mfs" : "mfs:" + seconds;
    }
}
