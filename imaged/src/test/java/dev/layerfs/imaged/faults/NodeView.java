package dev.layerfs.imaged.faults;

import com.fasterxml.jackson.databind.JsonNode;
import dev.layerfs.imaged.meta.Json;
import dev.layerfs.imaged.oci.Digest;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What one node holds, read from its local state machine (the {@code Imaged-Consistency: local}
 * opt-in, no Raft round trip): the metadata counts and each tag's manifest digest. Two nodes have
 * converged when their views' digests are equal.
 */
record NodeView(String node, long appliedIndex, String counts, TreeMap<String, String> tags) {

    private static final HttpClient HTTP = HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(2))
            .version(HttpClient.Version.HTTP_1_1)
            .build();

    String digest() {
        return Digest.of((counts + "|" + tags).getBytes(StandardCharsets.UTF_8)).toString().substring(7, 19);
    }

    /** Reads the view, or empty when the node does not answer every request. */
    static Optional<NodeView> of(Endpoint node, String repo) {
        try {
            JsonNode status = Json.MAPPER.readTree(get(node, "/internal/status").body());
            TreeMap<String, String> tags = new TreeMap<>();
            HttpResponse<byte[]> list = get(node, "/v2/" + repo + "/tags/list");
            if (list.statusCode() == 200) {
                for (JsonNode t : Json.MAPPER.readTree(list.body()).path("tags")) {
                    HttpResponse<byte[]> m = get(node, "/v2/" + repo + "/manifests/" + t.asText());
                    if (m.statusCode() != 200) {
                        return Optional.empty();
                    }
                    tags.put(t.asText(), Digest.of(m.body()).toString());
                }
            } else if (list.statusCode() != 404) {
                return Optional.empty();
            }
            return Optional.of(new NodeView(node.id(), status.path("appliedIndex").asLong(),
                    status.path("metadata").toString(), tags));
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    private static HttpResponse<byte[]> get(Endpoint node, String path) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://" + node.httpAddress() + path))
                .timeout(Duration.ofSeconds(5))
                .header("Imaged-Consistency", "local")
                .GET().build(), HttpResponse.BodyHandlers.ofByteArray());
    }
}
