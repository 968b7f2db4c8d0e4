package dev.layerfs.cli.imaged;

import com.fasterxml.jackson.databind.JsonNode;
import dev.layerfs.cli.UserError;
import dev.layerfs.imaged.meta.Json;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import dev.layerfs.imaged.client.HttpCall;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * The client side of imaged's operations API ({@code /cluster}, {@code /gc}, {@code /leases}) for
 * the CLI: a refusal (4xx) becomes a UserError carrying the server's message; an unreachable
 * server or a server failure becomes a one-line error naming the server.
 */
public final class OpsApi {

    /** Status documents and lease grants are small; the status of a large cluster stays well under this. */
    private static final int MAX_ANSWER = 16 << 20;

    private final URI base;
    private final dev.layerfs.imaged.auth.ClientAccess access;

    OpsApi(String server, RegistryAccessOptions options) {
        this(Servers.url(server), options.access());
    }

    public OpsApi(URI base, dev.layerfs.imaged.auth.ClientAccess access) {
        this.base = base;
        this.access = access;
    }

    public static String q(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    /** Sends a request; {@code pathAndQuery} is already encoded. Returns the JSON answer (null for none). */
    public JsonNode call(String method, String pathAndQuery, Duration timeout) {
        return call(method, pathAndQuery, timeout, java.util.Map.of());
    }

    /** With extra request headers, e.g. a read's {@link ReadOptions#headers()}. */
    public JsonNode call(String method, String pathAndQuery, Duration timeout, java.util.Map<String, String> headers) {
        java.util.Map<String, String> h = new java.util.LinkedHashMap<>(headers);
        access.token().ifPresent(t -> h.put("Authorization", "Bearer " + t));
        HttpCall.Reply resp;
        try {
            resp = HttpCall.send(method, base, base.resolve(pathAndQuery), h, HttpCall.Body.NONE, access.tls(), MAX_ANSWER, timeout);
        } catch (dev.layerfs.imaged.client.RegistryUnreachableException e) {
            throw new Unreachable(e.getMessage(), e); // "cannot reach registry URL: why"
        } catch (IOException e) {
            throw new Unreachable("imaged at " + base + " cannot be reached: " + e.getMessage(), e);
        }
        JsonNode body = null;
        if (resp.body().length > MAX_ANSWER) {
            throw new IllegalStateException(base + " answered with more than " + MAX_ANSWER + " bytes");
        }
        if (resp.body().length > 0) {
            try {
                body = Json.MAPPER.readTree(resp.body());
            } catch (IOException e) {
                throw new IllegalStateException(base + " answered HTTP " + resp.status() + " with a body that is not JSON");
            }
        }
        if (resp.status() >= 400) {
            String message = body != null && body.has("errors") ? body.get("errors").get(0).path("message").asText()
                    : "HTTP " + resp.status();
            if (resp.status() == 401) {
                throw new UserError(base + " refused access: " + message + " (give a token with --token-file FILE or $"
                        + dev.layerfs.imaged.auth.ClientAccess.TOKEN_ENV + ")");
            }
            if (resp.status() < 500) {
                throw new UserError(message);
            }
            throw new IllegalStateException(base + ": " + message);
        }
        return body;
    }

    /** The server did not answer at all (refused connection, timeout): nothing was decided. */
    public static final class Unreachable extends IllegalStateException {
        Unreachable(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
