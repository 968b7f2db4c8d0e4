package dev.layerfs.cli.imaged;

import com.fasterxml.jackson.databind.JsonNode;
import dev.layerfs.cli.UserError;
import dev.layerfs.imaged.meta.Json;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * The client side of imaged's operations API ({@code /cluster}, {@code /gc}, {@code /leases}) for
 * the CLI: a refusal (4xx) becomes a UserError carrying the server's message; an unreachable
 * server or a server failure becomes a one-line error naming the server.
 */
public final class OpsApi {

    private final URI base;
    private final dev.layerfs.imaged.auth.ClientAccess access;
    private final HttpClient http;

    OpsApi(String server, RegistryAccessOptions options) {
        this(Servers.url(server), options.access());
    }

    public OpsApi(URI base, dev.layerfs.imaged.auth.ClientAccess access) {
        this.base = base;
        this.access = access;
        HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).version(HttpClient.Version.HTTP_1_1);
        access.tls().ifPresent(b::sslContext);
        this.http = b.build();
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
        HttpRequest.Builder rb = HttpRequest.newBuilder(base.resolve(pathAndQuery)).timeout(timeout)
                .method(method, HttpRequest.BodyPublishers.noBody());
        headers.forEach(rb::header);
        access.token().ifPresent(t -> rb.header("Authorization", "Bearer " + t));
        HttpRequest req = rb.build();
        HttpResponse<byte[]> resp;
        try {
            resp = http.send(req, HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new Unreachable("imaged at " + base + " cannot be reached: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted talking to " + base, e);
        }
        JsonNode body = null;
        if (resp.body().length > 0) {
            try {
                body = Json.MAPPER.readTree(resp.body());
            } catch (IOException e) {
                throw new IllegalStateException(base + " answered HTTP " + resp.statusCode() + " with a body that is not JSON");
            }
        }
        if (resp.statusCode() >= 400) {
            String message = body != null && body.has("errors") ? body.get("errors").get(0).path("message").asText()
                    : "HTTP " + resp.statusCode();
            if (resp.statusCode() == 401) {
                throw new UserError(base + " refused access: " + message + " (give a token with --token-file FILE or $"
                        + dev.layerfs.imaged.auth.ClientAccess.TOKEN_ENV + ")");
            }
            if (resp.statusCode() < 500) {
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
