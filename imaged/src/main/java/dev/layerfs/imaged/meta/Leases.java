package dev.layerfs.imaged.meta;

import dev.layerfs.imaged.oci.ErrorCode;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The lease table, deterministic: expiry is judged against the time the command carries (the
 * proposer's clock), never against a clock read while applying, and that time never runs
 * backwards ({@link #advance}), so every replica decides every grant, renewal and check alike.
 */
final class Leases {

    private final TreeMap<String, Lease> table = new TreeMap<>();
    private long clock;

    /** The cluster clock after seeing {@code now}: the largest time any command carried. */
    long advance(long now) {
        clock = Math.max(clock, now);
        return clock;
    }

    Outcome acquire(String name, String holder, long ttlMillis, long now, long token) {
        long t = advance(now);
        Lease current = table.get(name);
        if (current != null && current.liveAt(t) && !current.holder().equals(holder)) {
            return Outcome.refused(ErrorCode.DENIED, "lease " + name + " is held by " + current.holder()
                    + " (token " + current.token() + ") for " + (current.expiresAt() - t) + " ms more", name);
        }
        Lease granted = new Lease(name, holder, token, t + ttlMillis);
        table.put(name, granted);
        return Outcome.answer(Json.text(granted));
    }

    Outcome renew(String name, long token, long ttlMillis, long now) {
        long t = advance(now);
        Outcome refused = checkCurrent(name, token, t);
        if (refused != null) {
            return refused;
        }
        Lease renewed = new Lease(name, table.get(name).holder(), token, t + ttlMillis);
        table.put(name, renewed);
        return Outcome.answer(Json.text(renewed));
    }

    Outcome release(String name, long token, long now) {
        Outcome refused = checkCurrent(name, token, advance(now));
        if (refused != null) {
            return refused;
        }
        // The grant is kept, lapsed: its token stays the latest until the next grant (see fence).
        Lease current = table.get(name);
        table.put(name, new Lease(name, current.holder(), token, Math.min(current.expiresAt(), clock)));
        return Outcome.ok();
    }

    /**
     * The gate of a write made with what a holder did under its grant (a container's changes,
     * committed after it stopped): refused once a later grant exists, whether the holder's grant
     * is live, lapsed or released. As storage checks fencing tokens: a token lower than the
     * latest one is stale.
     */
    Outcome fence(String name, long token, long now) {
        advance(now);
        Lease latest = table.get(name);
        if (latest == null || latest.token() != token) {
            return Outcome.refused(ErrorCode.DENIED, "token " + token + " of lease " + name + (latest == null
                    ? " was never granted" : latest.token() > token ? " was superseded by the grant of token "
                    + latest.token() + " to " + latest.holder() : " is not a grant (the latest is " + latest.token() + ")"), name);
        }
        return Outcome.answer(Json.text(latest));
    }

    /** A fenced action: succeeds only for the current, unexpired grant's token. */
    Outcome check(String name, long token, long now) {
        Outcome refused = checkCurrent(name, token, advance(now));
        return refused != null ? refused : Outcome.answer(Json.text(table.get(name)));
    }

    Optional<Lease> get(String name) {
        return Optional.ofNullable(table.get(name)).filter(l -> l.liveAt(clock));
    }

    Map<String, Lease> all() {
        return table;
    }

    long clock() {
        return clock;
    }

    void restore(Map<String, Lease> leases, long clock) {
        table.clear();
        if (leases != null) {
            table.putAll(leases);
        }
        this.clock = clock;
    }

    private Outcome checkCurrent(String name, long token, long now) {
        Lease current = table.get(name);
        if (current == null || current.token() != token) {
            return Outcome.refused(ErrorCode.DENIED, "token " + token + " is not the current grant of lease " + name
                    + (current == null ? " (not held)" : " (current token " + current.token() + ", held by " + current.holder() + ")"), name);
        }
        if (!current.liveAt(now)) {
            return Outcome.refused(ErrorCode.DENIED, "lease " + name + " is not held: the grant of token " + token + " ended "
                    + (now - current.expiresAt()) + " ms ago (expired or released)", name);
        }
        return null;
    }
}
