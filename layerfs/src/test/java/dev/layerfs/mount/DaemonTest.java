package dev.layerfs.mount;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** How {@code layerfs mount} tells whether the daemon it started (not its child) still runs. */
@Timeout(30)
class DaemonTest {

    @Test
    void aRunningProcessRunsAndAGoneOneDoesNot() {
        assertTrue(Daemon.running(ProcessHandle.current().pid()));
        assertFalse(Daemon.running(Long.MAX_VALUE));
    }

    @Test
    void aDeadProcessNotYetReapedByItsParentDoesNotRun() throws Exception {
        // sh starts a short sleep in the background, prints its pid and becomes a long sleep,
        // which never waits: the short one stays a zombie, as a daemon whose parent is slow to reap.
        Process parent = new ProcessBuilder("sh", "-c", "sleep 0.1 & echo $!; exec sleep 20").start();
        try {
            long child;
            try (BufferedReader out = new BufferedReader(new InputStreamReader(parent.getInputStream(), StandardCharsets.UTF_8))) {
                child = Long.parseLong(out.readLine().strip());
                long deadline = System.nanoTime() + 10_000_000_000L;
                while (!Files.readString(Path.of("/proc/" + child + "/stat")).contains(") Z")) {
                    assertTrue(System.nanoTime() < deadline, "the short sleep did not end");
                    Thread.sleep(20);
                }
                assertTrue(ProcessHandle.of(child).map(ProcessHandle::isAlive).orElse(false),
                        "the JDK counts a zombie as alive: the reason Daemon reads /proc itself");
                assertFalse(Daemon.running(child));
            }
        } finally {
            parent.destroy();
            parent.waitFor();
        }
    }
}
