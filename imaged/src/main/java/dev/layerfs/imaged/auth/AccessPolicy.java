package dev.layerfs.imaged.auth;

import java.util.Optional;

/**
 * Who may do what. Requests fall in three kinds: reads (GET and HEAD on the API: pulls, tag
 * lists, status pages), writes (every other method anywhere but {@code /internal/}: pushes,
 * deletes, cluster changes) and node-to-node calls ({@code /internal/*}). With client tokens,
 * writes need one and reads need one only when {@code authPulls}; with a cluster token,
 * {@code /internal/*} needs it. The cluster token is also accepted wherever a client token is,
 * since a node forwards clients' requests to the node holding their upload session. Without
 * tokens everything is open, as on a loopback-only deployment. The readiness probe
 * ({@code GET /ready}) is a kind of its own, always open: health checkers carry no tokens, and
 * it tells no content.
 */
public record AccessPolicy(Optional<TokenSet> clientTokens, boolean authPulls, Optional<TokenSet> clusterTokens) {

    public static final AccessPolicy OPEN = new AccessPolicy(Optional.empty(), false, Optional.empty());

    /** What a request is, for access purposes. */
    public enum Kind { READ, WRITE, INTERNAL, PROBE }

    /** Why a request is refused: the message for the error body. */
    public record Denial(Kind kind, String message) {
    }

    public AccessPolicy {
        if (authPulls && clientTokens.isEmpty()) {
            throw new IllegalArgumentException("--auth-pulls needs --token-file (the tokens pulls must present)");
        }
    }

    public static Kind kind(String method, String path) {
        if (path.startsWith("/internal/") || path.equals("/internal")) {
            return Kind.INTERNAL;
        }
        boolean read = method.equals("GET") || method.equals("HEAD");
        if (read && path.equals("/ready")) {
            return Kind.PROBE;
        }
        // The API's base endpoint is how clients discover that they must authenticate (the spec's
        // 401 on /v2/), so it challenges whenever tokens exist.
        return read && !isBase(path) ? Kind.READ : Kind.WRITE;
    }

    static boolean isBase(String path) {
        return path.equals("/v2/") || path.equals("/v2");
    }

    /** Empty when the request may proceed, else why not. */
    public Optional<Denial> check(String method, String path, String authorization) {
        Kind kind = kind(method, path);
        Optional<TokenSet> required = switch (kind) {
            case INTERNAL -> clusterTokens;
            case WRITE -> clientTokens;
            case READ -> authPulls ? clientTokens : Optional.empty();
            case PROBE -> Optional.empty();
        };
        if (required.isEmpty()) {
            return Optional.empty();
        }
        Optional<String> token = Credentials.token(authorization);
        if (token.isEmpty()) {
            return Optional.of(new Denial(kind, kind == Kind.INTERNAL
                    ? "node-to-node endpoint " + path + " needs the cluster token"
                    : method + " " + path + " needs a token (Authorization: Bearer TOKEN, or Basic with the token as password)"));
        }
        boolean ok = required.get().matches(token.get())
                || (kind != Kind.INTERNAL && clusterTokens.map(c -> c.matches(token.get())).orElse(false));
        return ok ? Optional.empty() : Optional.of(new Denial(kind, kind == Kind.INTERNAL
                ? "the token presented for " + path + " is not the cluster token"
                : "the token presented for " + method + " " + path + " is not accepted"));
    }

    public boolean isOpen() {
        return clientTokens.isEmpty() && clusterTokens.isEmpty();
    }
}
