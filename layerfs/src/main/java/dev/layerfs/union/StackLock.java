package dev.layerfs.union;

import dev.layerfs.sys.Errno;
import dev.layerfs.sys.ErrnoException;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Keeps the branch stack still while an operation runs: every operation holds the shared side
 * from start to end, a branch change takes the exclusive side, so it waits for the operations in
 * flight and never happens halfway through one.
 *
 * <p>A change first looks, without queueing, for a moment when no operation runs, so it holds
 * nothing up while a long operation (a large copy-up or directory rename) finishes. Only for the
 * last {@link #QUEUED} of its wait does it queue, which makes arriving operations wait behind it
 * (so a union never idle at any instant cannot starve it): the union stalls for at most that
 * long. A change that gets no lock in time fails with EBUSY and nothing changed.
 */
final class StackLock {

    /** The longest a waiting change holds up new operations. */
    static final Duration QUEUED = Duration.ofSeconds(1);

    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();

    PathLocks.Held shared() {
        lock.readLock().lock();
        return lock.readLock()::unlock;
    }

    PathLocks.Held exclusive(Duration wait) throws ErrnoException {
        long queued = Math.min(QUEUED.toNanos(), wait.toNanos());
        long unqueuedUntil = System.nanoTime() + wait.toNanos() - queued;
        boolean got = false;
        try {
            while (!(got = lock.writeLock().tryLock()) && System.nanoTime() < unqueuedUntil) {
                Thread.sleep(2);
            }
            if (!got) {
                got = lock.writeLock().tryLock(queued, TimeUnit.NANOSECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (!got) {
            throw new ErrnoException(Errno.EBUSY, "operations on the union still running after "
                    + wait.toSeconds() + " s; branches unchanged");
        }
        return lock.writeLock()::unlock;
    }
}
