package dev.layerfs.cli.lxc;

import dev.layerfs.cli.UserError;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Keeps a running container's lease: renews it every third of its TTL while the container's
 * monitor (the lxc-start process that ran the pre-start hook) lives. Its life is the
 * container's: the post-stop hook ends it, and it ends itself when the monitor is gone.
 *
 * <p>When the lease is lost (a renewal refused: it lapsed and another host took the name) or
 * can no longer be renewed in time (the registry unreachable until the grant lapsed), the
 * container is killed: another host may now start it, and two copies must never run. That is
 * the holder's half of fencing; the registry's half refuses the lost grant's token.
 */
final class LeaseRenewer {

    private static final Logger log = LoggerFactory.getLogger(LeaseRenewer.class);
    private static final long RETRY_MILLIS = 1000;

    private final ContainerDir container;
    private final ContainerLeases leases;
    private final long token;
    private final long monitorPid;
    private final Optional<String> monitorStart;

    LeaseRenewer(ContainerDir container, ContainerLeases leases, long token, long monitorPid) {
        this.container = container;
        this.leases = leases;
        this.token = token;
        this.monitorPid = monitorPid;
        this.monitorStart = startTime(monitorPid);
    }

    /** Runs until the container stops or the lease is lost; returns why. */
    String run() throws InterruptedException {
        long ttl = leases.lease().ttl().toMillis();
        long interval = Math.max(100, ttl / 3);
        // Counted from before the grant's request: the grant cannot outlive this by the registry's clock.
        long lapsesAt = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ttl);
        log.info("renewing lease {} token {} every {} ms while lxc monitor {} runs", container.leaseName(), token, interval, monitorPid);
        long wait = interval;
        while (true) {
            Thread.sleep(wait);
            if (!monitorAlive()) {
                return "container " + container.name() + " stopped (lxc monitor " + monitorPid + " is gone)";
            }
            long sent = System.nanoTime();
            try {
                leases.renew(token);
                lapsesAt = sent + TimeUnit.MILLISECONDS.toNanos(ttl);
                wait = interval;
            } catch (UserError refused) {
                return fence("lease " + container.leaseName() + " token " + token + " was lost: " + refused.getMessage());
            } catch (RuntimeException unreachable) {
                if (System.nanoTime() >= lapsesAt) {
                    return fence("lease " + container.leaseName() + " token " + token + " lapsed: no renewal got through ("
                            + unreachable.getMessage() + ")");
                }
                log.warn("cannot renew lease {} token {} ({}); retrying for {} ms more", container.leaseName(), token,
                        unreachable.getMessage(), TimeUnit.NANOSECONDS.toMillis(lapsesAt - System.nanoTime()));
                wait = Math.min(RETRY_MILLIS, interval);
            }
        }
    }

    /** Another host may run the container now: this copy must not keep running. */
    private String fence(String why) {
        log.error("{}: killing container {} so that it runs on one host only", why, container.name());
        try {
            Lxc.kill(container);
        } catch (RuntimeException e) {
            log.error("could not kill container {}: {}", container.name(), e.getMessage());
        }
        return why;
    }

    private boolean monitorAlive() {
        return startTime(monitorPid).equals(monitorStart) && monitorStart.isPresent();
    }

    /** The process's start time (field 22 of /proc/PID/stat), so a reused pid is not mistaken for the monitor. */
    static Optional<String> startTime(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            List<String> fields = List.of(stat.substring(stat.lastIndexOf(')') + 2).split(" "));
            return Optional.of(fields.get(19));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }
}
