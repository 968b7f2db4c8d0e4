package dev.layerfs.imaged.meta;

import java.util.OptionalLong;

/**
 * The Raft log index of the latest write the current thread made, so that the HTTP response to
 * the request that made it can say where it committed ({@code Imaged-Index}): a client that
 * passes that index to another node's read ({@code Imaged-Min-Index}) reads its own write there.
 * Request threads are reused: the HTTP layer clears it when a request starts.
 */
public final class WriteIndex {

    private static final ThreadLocal<long[]> LATEST = ThreadLocal.withInitial(() -> new long[1]);

    private WriteIndex() {
    }

    public static void record(long index) {
        long[] latest = LATEST.get();
        latest[0] = Math.max(latest[0], index);
    }

    public static OptionalLong latest() {
        long index = LATEST.get()[0];
        return index > 0 ? OptionalLong.of(index) : OptionalLong.empty();
    }

    public static void clear() {
        LATEST.get()[0] = 0;
    }
}
