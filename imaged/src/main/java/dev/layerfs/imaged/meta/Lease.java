package dev.layerfs.imaged.meta;

/**
 * A granted lease: who holds {@code name}, the fencing token of the grant (the Raft log index of
 * the entry that granted it, so every later grant has a larger token) and when it lapses, in the
 * cluster clock (milliseconds, as carried by the commands).
 */
public record Lease(String name, String holder, long token, long expiresAt) {

    public boolean liveAt(long now) {
        return now < expiresAt;
    }
}
