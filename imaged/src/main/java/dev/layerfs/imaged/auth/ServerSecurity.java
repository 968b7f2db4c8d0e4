package dev.layerfs.imaged.auth;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A node's access settings, checked and loaded before it starts: who may call what
 * ({@link AccessPolicy}), the TLS certificate and key of the HTTP API, and how it reaches its
 * peers ({@link PeerAccess}).
 */
public record ServerSecurity(AccessPolicy policy, Optional<Tls> tls, PeerAccess peers) {

    /** The API's certificate chain and private key, PEM files. */
    public record Tls(Path cert, Path key) {
    }

    public static final ServerSecurity NONE = new ServerSecurity(AccessPolicy.OPEN, Optional.empty(), PeerAccess.PLAIN);

    /**
     * From the {@code imaged serve} options; every file is read and checked here, and every
     * mistake is an IllegalArgumentException naming the option and the file.
     * {@code peerCaFile} is what peers' certificates chain to; by default the node trusts its own
     * certificate, which suits a cluster sharing one certificate.
     */
    public static ServerSecurity fromFiles(Optional<Path> tokenFile, boolean authPulls, Optional<Path> clusterTokenFile,
                                           Optional<Path> tlsCert, Optional<Path> tlsKey, Optional<Path> peerCaFile) {
        Optional<TokenSet> clients = tokenFile.map(f -> TokenSet.load(f, "--token-file"));
        Optional<TokenSet> cluster = clusterTokenFile.map(f -> TokenSet.load(f, "--cluster-token-file"));
        AccessPolicy policy = new AccessPolicy(clients, authPulls, cluster);
        if (tlsCert.isPresent() != tlsKey.isPresent()) {
            throw new IllegalArgumentException("--tls-cert and --tls-key go together (give both PEM files, or neither)");
        }
        if (peerCaFile.isPresent() && tlsCert.isEmpty()) {
            throw new IllegalArgumentException("--peer-ca-file " + peerCaFile.get() + " needs --tls-cert and --tls-key");
        }
        Optional<Tls> tls = tlsCert.map(c -> new Tls(c, tlsKey.get()));
        tls.ifPresent(t -> Pem.keyStore(t.cert(), t.key(), new char[0])); // refuse a bad pair now, not at first request
        PeerAccess peers = new PeerAccess(
                tls.map(t -> Pem.trusting(List.of(peerCaFile.orElse(t.cert())), peerCaFile.isPresent() ? "--peer-ca-file" : "--tls-cert")),
                cluster.map(TokenSet::first));
        return new ServerSecurity(policy, tls, peers);
    }

    /** What an operator should know at start: every way this node is more open than it could be. */
    public List<String> warnings(InetSocketAddress listen) {
        List<String> w = new ArrayList<>();
        boolean loopback = isLoopback(listen.getHostString());
        String where = listen.getHostString() + ":" + listen.getPort();
        if (policy.clusterTokens().isEmpty()) {
            w.add(loopback
                    ? "node-to-node endpoints /internal/* accept any local client: give --cluster-token-file (the same on every node) to restrict them"
                    : "node-to-node endpoints /internal/* on " + where + " accept ANY client that reaches it (blob reads and writes "
                            + "bypass tokens): give --cluster-token-file, the same on every node");
        }
        if (!loopback && policy.clientTokens().isEmpty()) {
            w.add("the registry API on " + where + " is reachable from other hosts and anyone can push and delete: give --token-file");
        }
        if (!loopback && tls.isEmpty() && !policy.isOpen()) {
            w.add("tokens travel in clear text to " + where + ": give --tls-cert and --tls-key");
        }
        return w;
    }

    static boolean isLoopback(String host) {
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }
}
