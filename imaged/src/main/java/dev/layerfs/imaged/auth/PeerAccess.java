package dev.layerfs.imaged.auth;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.util.Optional;
import javax.net.ssl.SSLContext;

/**
 * How this node talks HTTP to the other nodes (blob copies, forwarded uploads): over TLS when the
 * API is served over TLS, trusting the cluster's certificates, and with the cluster token.
 */
public record PeerAccess(Optional<SSLContext> tls, Optional<String> clusterToken) {

    public static final PeerAccess PLAIN = new PeerAccess(Optional.empty(), Optional.empty());

    public HttpClient.Builder httpClient() {
        HttpClient.Builder b = HttpClient.newBuilder();
        tls.ifPresent(b::sslContext);
        return b;
    }

    public URI uri(String hostPort, String pathAndQuery) {
        return URI.create((tls.isPresent() ? "https://" : "http://") + hostPort + pathAndQuery);
    }

    /** Adds the cluster token, when there is one. */
    public HttpRequest.Builder sign(HttpRequest.Builder request) {
        clusterToken.ifPresent(t -> request.header("Authorization", Credentials.bearer(t)));
        return request;
    }
}
