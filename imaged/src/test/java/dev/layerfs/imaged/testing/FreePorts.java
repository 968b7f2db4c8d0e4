package dev.layerfs.imaged.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Listen ports for servers a test starts later, in another process. A port from {@code bind(0)}
 * comes from the kernel's ephemeral range, the same range every outgoing connection (Raft's gRPC
 * channels, HTTP clients) takes its source port from: between the probe and the server's own
 * bind, a connection can take it, and the node then fails to start. So ports come from below
 * that range, each handed out once per JVM.
 */
public final class FreePorts {

    private static final int LOWEST = 10_000;
    private static final Set<Integer> GIVEN = new HashSet<>();
    private static int next = -1;

    private FreePorts() {
    }

    /** A port that is free now, outside the ephemeral range, and not handed out before by this JVM. */
    public static synchronized int next() {
        int limit = ephemeralLow();
        if (next < 0) {
            // Another test JVM may be handing out ports at the same time: start somewhere random.
            next = LOWEST + ThreadLocalRandom.current().nextInt(limit - LOWEST);
        }
        for (int tries = 0; tries < limit - LOWEST; tries++) {
            int port = next;
            next = next + 1 < limit ? next + 1 : LOWEST;
            if (GIVEN.add(port) && bindable(port)) {
                return port;
            }
        }
        throw new IllegalStateException("no free port between " + LOWEST + " and " + limit);
    }

    private static boolean bindable(int port) {
        try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** The low end of net.ipv4.ip_local_port_range (32768 when it cannot be read). */
    private static int ephemeralLow() {
        try {
            String range = Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).trim();
            int low = Integer.parseInt(range.split("\\s+")[0]);
            return Math.max(low, LOWEST + 1_000);
        } catch (IOException | RuntimeException e) {
            return 32_768;
        }
    }
}
