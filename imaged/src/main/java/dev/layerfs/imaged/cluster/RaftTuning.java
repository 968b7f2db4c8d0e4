package dev.layerfs.imaged.cluster;

/**
 * Raft log and snapshot policy. A snapshot is taken every {@code snapshotThreshold} applied
 * entries, the newest {@code retainedSnapshots} are kept, and log segments up to the snapshot
 * are purged, so a node that falls further behind than the log catches up from a snapshot.
 */
public record RaftTuning(long snapshotThreshold, int retainedSnapshots, long segmentBytes, int purgeGap) {

    public static final RaftTuning DEFAULT = new RaftTuning(10_000, 3, 8L << 20, 1024);

    public RaftTuning {
        if (snapshotThreshold < 1 || retainedSnapshots < 1 || segmentBytes < 1024 || purgeGap < 1) {
            throw new IllegalArgumentException("invalid Raft tuning " + snapshotThreshold + "/" + retainedSnapshots
                    + "/" + segmentBytes + "/" + purgeGap);
        }
    }

    /** Frequent snapshots and small segments: what tests use to force snapshot installs. */
    public static RaftTuning aggressive(long snapshotThreshold) {
        return new RaftTuning(snapshotThreshold, 2, 16 << 10, 4);
    }
}
