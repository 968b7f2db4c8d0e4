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
 * ({@link AccessPolicy}), the TLS certificate and key of the HTTP API, how it reaches its
 * peers ({@link PeerAccess}), and the mutual TLS of its Raft transport ({@link RaftTls}).
 */
public record ServerSecurity(AccessPolicy policy, Optional<Tls> tls, PeerAccess peers, Optional<RaftTls> raftTls) {

    /** The API's certificate chain and private key, PEM files. */
    public record Tls(Path cert, Path key) {
    }

    public static final ServerSecurity NONE = new ServerSecurity(AccessPolicy.OPEN, Optional.empty(), PeerAccess.PLAIN, Optional.empty());

    /**
     * From the {@code imaged serve} options; every file is read and checked here, and every
     * mistake is an IllegalArgumentException naming the option and the file.
     * {@code peerCaFile} is what peers' certificates chain to; by default the node trusts its own
     * certificate, which suits a cluster sharing one certificate.
     */
    public static ServerSecurity fromFiles(Optional<Path> tokenFile, boolean authPulls, Optional<Path> clusterTokenFile,
                                           Optional<Path> tlsCert, Optional<Path> tlsKey, Optional<Path> peerCaFile) {
        return fromFiles(tokenFile, authPulls, clusterTokenFile, tlsCert, tlsKey, peerCaFile, RaftFiles.NONE);
    }

    /** The PEM files of {@code --raft-tls-cert}, {@code --raft-tls-key} and {@code --raft-tls-ca}. */
    public record RaftFiles(Optional<Path> cert, Optional<Path> key, Optional<Path> ca) {
        public static final RaftFiles NONE = new RaftFiles(Optional.empty(), Optional.empty(), Optional.empty());
    }

    /** As above, with Raft mutual TLS when {@code raft} names the files (see {@link RaftTls#fromFiles}). */
    public static ServerSecurity fromFiles(Optional<Path> tokenFile, boolean authPulls, Optional<Path> clusterTokenFile,
                                           Optional<Path> tlsCert, Optional<Path> tlsKey, Optional<Path> peerCaFile,
                                           RaftFiles raft) {
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
        Optional<RaftTls> raftTls = RaftTls.fromFiles(raft.cert(), raft.key(), raft.ca());
        return new ServerSecurity(policy, tls, peers, raftTls);
    }

    /** What an operator should know at start: every way this node (API and Raft port) is more open than it could be. */
    public List<String> warnings(InetSocketAddress listen, InetSocketAddress raft) {
        List<String> w = warnings(listen);
        if (raftTls.isEmpty() && !isLoopback(raft.getHostString())) {
            w.add("the Raft port " + raft.getHostString() + ":" + raft.getPort() + " accepts ANY client that reaches it "
                    + "(it could vote, append or propose): give --raft-tls-cert, --raft-tls-key and --raft-tls-ca, "
                    + "or firewall it to the other peers");
        }
        return w;
    }

    /** The warnings about the HTTP API on {@code listen} alone. */
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
