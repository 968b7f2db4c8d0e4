package dev.layerfs.union;

import dev.layerfs.sys.Errno;
import dev.layerfs.sys.ErrnoException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** How a branch change waits for operations in flight, and how long it may hold new ones up. */
@Timeout(30)
class StackLockTest {

    private final StackLock lock = new StackLock();

    /** An operation running on another thread until {@code done} is counted down. */
    private static CompletableFuture<Void> longOperation(StackLock lock, CountDownLatch started, CountDownLatch done) {
        return CompletableFuture.runAsync(() -> {
            try (PathLocks.Held held = lock.shared()) {
                started.countDown();
                done.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    @Test
    void aWaitingChangeHoldsNoOperationUpBeforeItsLastSecondAndGetsInOnceTheLongOneEnds() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(1);
        CompletableFuture<Void> op = longOperation(lock, started, done);
        started.await();
        CompletableFuture<Long> change = CompletableFuture.supplyAsync(() -> {
            try (PathLocks.Held held = lock.exclusive(Duration.ofSeconds(10))) {
                return System.nanoTime();
            } catch (ErrnoException e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(300);
        long t0 = System.nanoTime();
        try (PathLocks.Held held = lock.shared()) {
            assertTrue(System.nanoTime() - t0 < TimeUnit.MILLISECONDS.toNanos(200), "a short operation ran while the change waited");
        }
        long released = System.nanoTime();
        done.countDown();
        op.get();
        long got = change.get(5, TimeUnit.SECONDS);
        assertTrue(got >= released, "the change got in only once the long operation ended");
    }

    @Test
    void aChangeGivesUpWithEbusyWhenAnOperationOutlastsItsWait() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(1);
        CompletableFuture<Void> op = longOperation(lock, started, done);
        started.await();
        long t0 = System.nanoTime();
        ErrnoException e = assertThrows(ErrnoException.class, () -> lock.exclusive(Duration.ofMillis(1500)));
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertEquals(Errno.EBUSY, e.errno());
        assertTrue(seconds >= 1.4 && seconds < 3, "gave up after " + seconds + " s");
        done.countDown();
        op.get();
        try (PathLocks.Held held = lock.exclusive(Duration.ofSeconds(1))) {
            // free again once the operation is over
        }
    }
}
