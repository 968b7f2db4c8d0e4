package dev.layerfs.imaged.server;

import dev.layerfs.imaged.auth.ServerSecurity;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The access options of {@link ImagedMain} ({@code --token-file F}, {@code --auth-pulls},
 * {@code --cluster-token-file F}, {@code --tls-cert F}, {@code --tls-key F}, {@code --peer-ca-file F},
 * {@code --raft-tls-cert F}, {@code --raft-tls-key F}, {@code --raft-tls-ca F}),
 * taken out of the argument list so the rest parses as before.
 */
record SecurityOptions(Optional<Path> tokenFile, boolean authPulls, Optional<Path> clusterTokenFile,
                       Optional<Path> tlsCert, Optional<Path> tlsKey, Optional<Path> peerCaFile,
                       ServerSecurity.RaftFiles raft, String[] rest) {

    static SecurityOptions extract(String[] args) {
        Path token = null;
        Path cluster = null;
        Path cert = null;
        Path key = null;
        Path peerCa = null;
        Path raftCert = null;
        Path raftKey = null;
        Path raftCa = null;
        boolean authPulls = false;
        List<String> rest = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--auth-pulls")) {
                authPulls = true;
                continue;
            }
            if (!List.of("--token-file", "--cluster-token-file", "--tls-cert", "--tls-key", "--peer-ca-file",
                    "--raft-tls-cert", "--raft-tls-key", "--raft-tls-ca").contains(a)) {
                rest.add(a);
                continue;
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException("option " + a + " needs a value");
            }
            Path value = Path.of(args[++i]);
            switch (a) {
                case "--token-file" -> token = value;
                case "--cluster-token-file" -> cluster = value;
                case "--tls-cert" -> cert = value;
                case "--tls-key" -> key = value;
                case "--raft-tls-cert" -> raftCert = value;
                case "--raft-tls-key" -> raftKey = value;
                case "--raft-tls-ca" -> raftCa = value;
                default -> peerCa = value;
            }
        }
        return new SecurityOptions(Optional.ofNullable(token), authPulls, Optional.ofNullable(cluster),
                Optional.ofNullable(cert), Optional.ofNullable(key), Optional.ofNullable(peerCa),
                new ServerSecurity.RaftFiles(Optional.ofNullable(raftCert), Optional.ofNullable(raftKey), Optional.ofNullable(raftCa)),
                rest.toArray(new String[0]));
    }

    ServerSecurity load() {
        return ServerSecurity.fromFiles(tokenFile, authPulls, clusterTokenFile, tlsCert, tlsKey, peerCaFile, raft);
    }
}
