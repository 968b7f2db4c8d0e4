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
final class OpsApi {

    private final URI base;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
            .version(HttpClient.Version.HTTP_1_1).build();

    OpsApi(String server) {
        this.base = Servers.url(server);
    }

    static String q(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    /** Sends a request; {@code pathAndQuery} is already encoded. Returns the JSON answer (null for none). */
    JsonNode call(String method, String pathAndQuery, Duration timeout) {
        HttpRequest req = HttpRequest.newBuilder(base.resolve(pathAndQuery)).timeout(timeout)
                .method(method, HttpRequest.BodyPublishers.noBody()).build();
        HttpResponse<byte[]> resp;
        try {
            resp = http.send(req, HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new IllegalStateException("imaged at " + base + " cannot be reached: " + e.getMessage(), e);
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
            if (resp.statusCode() < 500) {
                throw new UserError(message);
            }
            throw new IllegalStateException(base + ": " + message);
        }
        return body;
    }
}
