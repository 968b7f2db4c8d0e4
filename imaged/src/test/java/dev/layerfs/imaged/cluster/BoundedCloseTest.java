package dev.layerfs.imaged.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class BoundedCloseTest {

    @Test
    void aCloseThatFinishesIsWaitedFor() throws Exception {
        AtomicBoolean closed = new AtomicBoolean();
        assertTrue(BoundedClose.close("quick", () -> closed.set(true), Duration.ofSeconds(5)));
        assertTrue(closed.get());
    }

    @Test
    void aCloseThatHangsIsGivenUpOnAfterTheLimit() throws Exception {
        CountDownLatch never = new CountDownLatch(1);
        long started = System.nanoTime();
        try {
            assertFalse(BoundedClose.close("stuck", () -> {
                try {
                    never.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, Duration.ofMillis(300)));
            long waitedMs = (System.nanoTime() - started) / 1_000_000;
            assertTrue(waitedMs >= 300 && waitedMs < 5_000, "waited " + waitedMs + " ms");
        } finally {
            never.countDown();
        }
    }

    @Test
    void aCloseThatFailsPassesItsFailureOn() {
        IOException thrown = assertThrows(IOException.class,
                () -> BoundedClose.close("failing", () -> {
                    throw new IOException("disk gone");
                }, Duration.ofSeconds(5)));
        assertEquals("disk gone", thrown.getMessage());
    }
}
