package dev.layerfs.cli.lxc;

import com.fasterxml.jackson.databind.JsonNode;
import dev.layerfs.cli.UserError;
import dev.layerfs.cli.imaged.OpsApi;
import dev.layerfs.imaged.meta.Fence;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * A container's lease {@code lxc:NAME} on the registry that granted its image: taken before the
 * container starts, renewed while it runs, given back after it stops, and presented as a fencing
 * token when its changes are committed. The registry decides every grant through Raft, so two
 * hosts never both hold the name; a host that lost it is refused by token.
 */
public final class ContainerLeases {

    private static final Logger log = LoggerFactory.getLogger(ContainerLeases.class);
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(30);

    private final ContainerDir container;
    private final ContainerLease lease;
    private final OpsApi api;

    ContainerLeases(ContainerDir container, ContainerLease lease, Map<String, String> env) {
        this.container = container;
        this.lease = lease;
        this.api = new OpsApi(lease.server(), lease.access(env));
    }

    /** The container's leases, or empty when it has none (created with --no-lease, or over plain branches). */
    public static Optional<ContainerLeases> of(ContainerDir container, Map<String, String> env) {
        return ContainerLease.read(container).map(l -> new ContainerLeases(container, l, env));
    }

    public ContainerLease lease() {
        return lease;
    }

    private String path() {
        return "/leases/" + OpsApi.q(container.leaseName());
    }

    /**
     * Takes the lease for {@code holder} and records the grant beside the container; a holder
     * that still holds it (a restart on the same host) gets a new grant. Refused, with who holds
     * it, when another host does; refused too when the registry cannot be reached: a container
     * whose lease cannot be checked might be running elsewhere.
     */
    public long acquire(String holder) {
        JsonNode grant;
        try {
            grant = api.call("POST", path() + "?holder=" + OpsApi.q(holder) + "&ttlMs=" + lease.ttl().toMillis(), CALL_TIMEOUT);
        } catch (UserError e) {
            throw new UserError("container " + container.name() + " is not started here: " + e.getMessage(), e);
        } catch (IllegalStateException e) {
            throw new UserError("container " + container.name() + " is not started: its lease " + container.leaseName()
                    + " cannot be taken (" + e.getMessage() + "); a container whose lease cannot be checked may be running"
                    + " on another host (create it with --no-lease to run it without one)", e);
        }
        long token = grant.get("token").asLong();
        lease.granted(holder, token).write(container);
        log.info("lease {} granted to {} with token {} for {} ms", container.leaseName(), holder, token, lease.ttl().toMillis());
        return token;
    }

    /** Extends the grant; a refusal (a UserError: stale token, lapsed and taken) means the lease is lost. */
    public long renew(long token) {
        return api.call("PUT", path() + "?token=" + token + "&ttlMs=" + lease.ttl().toMillis(), CALL_TIMEOUT).get("expiresAt").asLong();
    }

    /** Gives the recorded grant back; a lease that cannot be released lapses by itself, so this never fails. */
    public void release() {
        if (lease.token().isEmpty()) {
            return;
        }
        long token = lease.token().getAsLong();
        try {
            api.call("DELETE", path() + "?token=" + token, CALL_TIMEOUT);
            log.info("lease {} token {} released", container.leaseName(), token);
        } catch (UserError e) {
            // The registry refused: usually the grant had ended already (given back by the
            // post-stop hook before a destroy, lapsed, or superseded). Nothing is left to give back.
            log.info("lease {} token {} not released: {}", container.leaseName(), token, e.getMessage());
        } catch (RuntimeException e) {
            log.warn("lease {} token {} not released ({}): it lapses by itself within {} ms", container.leaseName(), token,
                    e.getMessage(), lease.ttl().toMillis());
        }
    }

    /**
     * The fence a commit writes under: this host's last grant, checked now (before any upload) and
     * again by the registry in the entry that stores the manifest. Refused once another host got
     * the name after it. A container that never started here has no grant: the commit takes one.
     */
    public Fence fenceForCommit(String holder) {
        long token = lease.token().isPresent() ? lease.token().getAsLong() : acquire(holder);
        try {
            api.call("POST", path() + "/fence?token=" + token, CALL_TIMEOUT);
        } catch (UserError e) {
            throw new UserError("container " + container.name() + " is not committed: this host's lease is stale ("
                    + e.getMessage() + "); its changes were made while another host had, or has, the container", e);
        }
        return new Fence(container.leaseName(), token);
    }
}
