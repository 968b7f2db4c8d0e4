package dev.layerfs.imaged.testing;

import dev.layerfs.imaged.oci.Digest;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/** A tiny OCI client over java.net.http for tests: raw requests plus a push of one blob or manifest. */
public final class RegistryClient {

    private final HttpClient http = HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(3))
            .version(HttpClient.Version.HTTP_1_1)
            .build();
    private final String base;

    public RegistryClient(String hostPort) {
        this.base = "http://" + hostPort;
    }

    public String base() {
        return base;
    }

    public HttpResponse<byte[]> send(String method, String path, byte[] body, String... headers) throws IOException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(path.startsWith("http") ? path : base + path))
                .timeout(Duration.ofSeconds(60))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        try {
            return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    public HttpResponse<byte[]> get(String path, String... headers) throws IOException {
        return send("GET", path, null, headers);
    }

    /** Monolithic blob push (POST ?digest=); returns the status. */
    public int pushBlob(String repo, byte[] content) throws IOException {
        return send("POST", "/v2/" + repo + "/blobs/uploads/?digest=" + Digest.of(content), content,
                "Content-Type", "application/octet-stream").statusCode();
    }

    public int pushManifest(String repo, String reference, String mediaType, byte[] manifest) throws IOException {
        return send("PUT", "/v2/" + repo + "/manifests/" + reference, manifest, "Content-Type", mediaType).statusCode();
    }

    /**
     * Pushes an image with one layer and a config and tags it; returns the manifest bytes, or
     * throws naming the step that was not acknowledged.
     */
    public Image pushImage(String repo, String tag, byte[] layer) throws IOException {
        byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"tag\":\"" + tag + "\"}").getBytes(StandardCharsets.UTF_8);
        expect(201, pushBlob(repo, layer), "layer of " + tag);
        expect(201, pushBlob(repo, config), "config of " + tag);
        String manifest = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                + "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" + Digest.of(config)
                + "\",\"size\":" + config.length + "},\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\","
                + "\"digest\":\"" + Digest.of(layer) + "\",\"size\":" + layer.length + "}]}";
        byte[] m = manifest.getBytes(StandardCharsets.UTF_8);
        expect(201, pushManifest(repo, tag, "application/vnd.oci.image.manifest.v1+json", m), "manifest " + tag);
        return new Image(repo, tag, layer, config, m);
    }

    public record Image(String repo, String tag, byte[] layer, byte[] config, byte[] manifest) {
    }

    private static void expect(int want, int got, String what) throws IOException {
        if (want != got) {
            throw new IOException("push of " + what + " answered " + got);
        }
    }

    public static Map<String, String> headers(HttpResponse<?> r) {
        Map<String, String> m = new HashMap<>();
        r.headers().map().forEach((k, v) -> m.put(k.toLowerCase(), v.get(0)));
        return m;
    }
}
