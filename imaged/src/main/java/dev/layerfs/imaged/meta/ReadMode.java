package dev.layerfs.imaged.meta;

/** How fresh a metadata read must be. */
public enum ReadMode {
    /** Sees every write acknowledged before the read started (Raft ReadIndex through the leader). */
    LINEARIZABLE,
    /** This node's applied state, possibly behind the leader: for diagnostics and catch-up checks. */
    LOCAL
}
