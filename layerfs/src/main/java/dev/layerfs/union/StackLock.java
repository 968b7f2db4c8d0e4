package dev.layerfs.union;

import dev.layerfs.sys.Errno;
import dev.layerfs.sys.ErrnoException;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Keeps the branch stack still while an operation runs: every operation holds the shared side
 * from start to end, a branch change takes the exclusive side, so it waits for the operations in
 * flight and the ones arriving meanwhile wait for it (a waiting change blocks new operations, so
 * a busy union cannot starve it). A change that cannot get the lock in time fails with EBUSY
 * instead of stalling the union.
 */
final class StackLock {

    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();

    PathLocks.Held shared() {
        lock.readLock().lock();
        return lock.readLock()::unlock;
    }

    PathLocks.Held exclusive(Duration wait) throws ErrnoException {
        boolean got;
        try {
            got = lock.writeLock().tryLock(wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            got = false;
        }
        if (!got) {
            throw new ErrnoException(Errno.EBUSY, "operations on the union still running after "
                    + wait.toSeconds() + " s; branches unchanged");
        }
        return lock.writeLock()::unlock;
    }
}
