package dev.layerfs.policy;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code rr}: the writable branches in turn, one new file each. As in AUFS, mkdir does not take
 * a turn: it goes to the branch whose turn it is, so a run of mkdirs lands on one branch.
 */
public final class RoundRobin implements BranchPolicy {

    private final AtomicLong turn = new AtomicLong();

    @Override
    public int choose(Choice c) {
        return next(c.candidates(), c.directory());
    }

    int next(List<Integer> candidates, boolean directory) {
        long t = directory ? turn.get() : turn.getAndIncrement();
        return candidates.get((int) Math.floorMod(t, (long) candidates.size()));
    }

    @Override
    public String spec() {
        return "rr";
    }
}
