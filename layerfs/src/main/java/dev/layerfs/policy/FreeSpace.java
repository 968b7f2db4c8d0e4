package dev.layerfs.policy;

import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Free space per branch, measured at most once per {@code maxAgeNanos} (AUFS's {@code :second}
 * interval; 0 measures at every choice). Ties go to the upper branch.
 */
final class FreeSpace {

    private record Measured(long bytes, long at) {
    }

    private final long maxAgeNanos;
    private final ConcurrentHashMap<Integer, Measured> cache = new ConcurrentHashMap<>();

    FreeSpace(long seconds) {
        this.maxAgeNanos = seconds * 1_000_000_000L;
    }

    long of(Choice c, int branch) {
        if (maxAgeNanos == 0) {
            return c.freeBytes(branch);
        }
        long now = System.nanoTime();
        Measured m = cache.get(branch);
        if (m == null || now - m.at() >= maxAgeNanos) {
            m = new Measured(c.freeBytes(branch), now);
            cache.put(branch, m);
        }
        return m.bytes();
    }

    /** The branch with the most free space among {@code among} (top first). */
    int most(Choice c, List<Integer> among) {
        int best = among.get(0);
        long bestFree = of(c, best);
        for (int b : among.subList(1, among.size())) {
            long free = of(c, b);
            if (free > bestFree) {
                best = b;
                bestFree = free;
            }
        }
        return best;
    }
}
