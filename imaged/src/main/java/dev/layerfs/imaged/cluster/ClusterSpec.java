package dev.layerfs.imaged.cluster;

import java.net.InetSocketAddress;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Who this node is and the Raft address of every member ({@code n1=host:port,n2=host:port}).
 * Parsing is strict: every mistake is an IllegalArgumentException naming the offending value.
 */
public record ClusterSpec(String self, Map<String, InetSocketAddress> peers) {

    private static final Pattern NODE_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");

    public ClusterSpec {
        checkNodeId(self);
        peers = Collections.unmodifiableMap(new LinkedHashMap<>(peers));
        if (!peers.containsKey(self)) {
            throw new IllegalArgumentException("node id '" + self + "' is not among the peers " + peers.keySet());
        }
    }

    /** A one-node cluster: the embedded default. */
    public static ClusterSpec single(String self, InetSocketAddress raftAddress) {
        return new ClusterSpec(self, Map.of(self, raftAddress));
    }

    public static ClusterSpec parse(String self, String peerList) {
        Map<String, InetSocketAddress> peers = new LinkedHashMap<>();
        if (peerList == null || peerList.isBlank()) {
            throw new IllegalArgumentException("--peers is empty (expected id=host:port,id=host:port,...)");
        }
        for (String item : peerList.split(",")) {
            int eq = item.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("peer '" + item + "' is not id=host:port");
            }
            String id = item.substring(0, eq).trim();
            checkNodeId(id);
            if (peers.put(id, parseAddress(item.substring(eq + 1).trim(), "peer " + id)) != null) {
                throw new IllegalArgumentException("peer id '" + id + "' appears twice in --peers");
            }
        }
        return new ClusterSpec(self, peers);
    }

    /** Parses {@code host:port}; {@code what} names the value in the error message. */
    public static InetSocketAddress parseAddress(String hostPort, String what) {
        int colon = hostPort.lastIndexOf(':');
        if (colon <= 0 || colon == hostPort.length() - 1) {
            throw new IllegalArgumentException(what + " address '" + hostPort + "' is not host:port");
        }
        String host = hostPort.substring(0, colon);
        int port;
        try {
            port = Integer.parseInt(hostPort.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(what + " address '" + hostPort + "' has a non-numeric port");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException(what + " address '" + hostPort + "' has port " + port + " outside 1-65535");
        }
        return InetSocketAddress.createUnresolved(host, port);
    }

    public static void checkNodeId(String id) {
        if (id == null || !NODE_ID.matcher(id).matches()) {
            throw new IllegalArgumentException("node id '" + id + "' must be letters, digits, '.', '_' or '-' (at most 64)");
        }
    }

    public InetSocketAddress selfAddress() {
        return peers.get(self);
    }

    public int size() {
        return peers.size();
    }

    /** How many nodes make a majority. */
    public int majority() {
        return peers.size() / 2 + 1;
    }
}
