package dev.layerfs.policy;

/**
 * {@code mfsrr:LOW[:SECONDS]}: most free space, but when even the emptiest branch has less than
 * {@code LOW} bytes free, round robin, so the last space fills evenly.
 */
public final class MostFreeSpaceRoundRobin implements BranchPolicy {

    private final long low;
    private final long seconds;
    private final FreeSpace free;
    private final RoundRobin roundRobin = new RoundRobin();

    public MostFreeSpaceRoundRobin(long low, long seconds) {
        this.low = low;
        this.seconds = seconds;
        this.free = new FreeSpace(seconds);
    }

    @Override
    public int choose(Choice c) {
        int most = free.most(c, c.candidates());
        if (free.of(c, most) >= low) {
            return most;
        }
        return roundRobin.next(c.candidates(), c.directory());
    }

    @Override
    public String spec() {
        return "mfsrr:" + low + (seconds == 0 ? "" : ":" + seconds);
    }
}
