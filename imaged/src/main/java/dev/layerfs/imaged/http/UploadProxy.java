package dev.layerfs.imaged.http;

import dev.layerfs.imaged.auth.PeerAccess;
import dev.layerfs.imaged.meta.MetadataService;
import dev.layerfs.imaged.meta.NodeRecord;
import dev.layerfs.imaged.meta.Query.ListNodes;
import dev.layerfs.imaged.oci.ErrorCode;
import dev.layerfs.imaged.oci.RegistryException;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

/**
 * An upload session's bytes live on the node that created it. When a request for a session
 * reaches another node (a load balancer, a client following an old Location), it is forwarded
 * to the owner and the owner's answer is relayed unchanged, so every node answers every request.
 */
final class UploadProxy {

    private static final List<String> REQUEST_HEADERS = List.of("Content-Type", "Content-Range");
    private static final List<String> RESPONSE_HEADERS = List.of("Location", "Range", "Docker-Upload-UUID", "Docker-Content-Digest");

    private final MetadataService meta;
    private final PeerAccess peers;
    private final HttpClient http;

    UploadProxy(MetadataService meta, PeerAccess peers) {
        this.meta = meta;
        this.peers = peers;
        this.http = peers.httpClient()
                .connectTimeout(Duration.ofSeconds(2))
                .version(HttpClient.Version.HTTP_1_1)
                .build();
    }

    void forward(Exchange ex, String owner, String pathAndQuery) throws IOException {
        NodeRecord node = meta.read(new ListNodes()).orElseThrow().nodes().stream()
                .filter(n -> n.id().equals(owner)).findFirst()
                .orElseThrow(() -> new RegistryException(ErrorCode.BLOB_UPLOAD_UNKNOWN,
                        "upload session belongs to unknown node " + owner));
        HttpRequest.Builder req = HttpRequest.newBuilder(peers.uri(node.httpAddress(), pathAndQuery))
                .timeout(Duration.ofMinutes(10));
        for (String h : REQUEST_HEADERS) {
            ex.header(h).ifPresent(v -> req.header(h, v));
        }
        // This node already let the client in: the owner accepts the cluster token, or else the
        // client's own credentials (every node has the same token file).
        if (peers.clusterToken().isPresent()) {
            peers.sign(req);
        } else {
            ex.header("Authorization").ifPresent(v -> req.header("Authorization", v));
        }
        InputStream body = ex.body();
        long length = ex.contentLength();
        HttpRequest.BodyPublisher publisher = length == 0 ? HttpRequest.BodyPublishers.noBody()
                : length > 0 ? HttpRequest.BodyPublishers.fromPublisher(HttpRequest.BodyPublishers.ofInputStream(() -> body), length)
                : HttpRequest.BodyPublishers.ofInputStream(() -> body);
        req.method(ex.method(), publisher);
        HttpResponse<byte[]> resp;
        try {
            resp = http.send(req.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted forwarding an upload to node " + owner, e);
        } catch (IOException e) {
            throw new RegistryException(ErrorCode.UNAVAILABLE, ErrorCode.UNAVAILABLE.status(),
                    "node " + owner + " holding the upload session is unreachable: " + e.getMessage(), null);
        } finally {
            body.close();
        }
        for (String h : RESPONSE_HEADERS) {
            resp.headers().firstValue(h).ifPresent(v -> ex.header(h, v));
        }
        String type = resp.headers().firstValue("Content-Type").orElse("application/json");
        ex.sendBytes(resp.statusCode(), type, resp.body());
    }
}
