package dev.layerfs.imaged.cluster;

import dev.layerfs.imaged.auth.RaftTls;
import java.util.Optional;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.grpc.GrpcTlsConfig;

/**
 * How this node's Raft gRPC traffic is carried: plaintext, or mutual TLS where the server, the
 * Raft clients and the admin client all present this node's certificate and accept only peers
 * whose certificate chains to the cluster CA (Ratis uses one TLS setting for all three when only
 * {@code GrpcConfigKeys.TLS} is set).
 */
public final class RaftTransport {

    public static final RaftTransport PLAINTEXT = new RaftTransport(Optional.empty());

    private final Optional<RaftTls> tls;

    private RaftTransport(Optional<RaftTls> tls) {
        this.tls = tls;
    }

    public static RaftTransport of(Optional<RaftTls> tls) {
        return tls.isPresent() ? new RaftTransport(tls) : PLAINTEXT;
    }

    public boolean isMutualTls() {
        return tls.isPresent();
    }

    /**
     * Fresh Ratis parameters for one server or client; a new {@link GrpcTlsConfig} each time so
     * that no Ratis factory shares another's memoised SSL contexts.
     */
    Parameters parameters() {
        Parameters p = new Parameters();
        tls.ifPresent(t -> GrpcConfigKeys.TLS.setConf(p, new GrpcTlsConfig(t.keyManager(), t.trustManager(), true)));
        return p;
    }

    @Override
    public String toString() {
        return tls.map(t -> "mutual TLS (certificate " + t.cert() + ", CA " + t.ca() + ")").orElse("plaintext");
    }
}
