package dev.layerfs.imaged.server;

import dev.layerfs.imaged.auth.PeerAccess;
import dev.layerfs.imaged.blob.BlobStore;
import dev.layerfs.imaged.blob.StoredBlob;
import dev.layerfs.imaged.meta.NodeRecord;
import dev.layerfs.imaged.oci.Digest;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * Node-to-node blob copies over the internal HTTP endpoint {@code /internal/blobs/<digest>}:
 * push a local blob to a peer (the peer verifies and fsyncs before answering 201) or fetch one
 * from a holder into the local store (verified here).
 */
public final class PeerBlobClient {

    public static final String PATH = "/internal/blobs/";

    private final PeerAccess peers;
    private final HttpClient http;

    public PeerBlobClient() {
        this(PeerAccess.PLAIN);
    }

    /** Over TLS and with the cluster token when {@code peers} says so. */
    public PeerBlobClient(PeerAccess peers) {
        this.peers = peers;
        this.http = peers.httpClient()
                .connectTimeout(Duration.ofSeconds(2))
                .version(HttpClient.Version.HTTP_1_1)
                .build();
    }

    /** Copies {@code file} (the blob {@code digest}) to {@code node}; returns when it is durable there. */
    public void push(NodeRecord node, Digest digest, Path file) throws IOException {
        HttpRequest req = peers.sign(HttpRequest.newBuilder(uri(node, digest)))
                .timeout(Duration.ofMinutes(10))
                .PUT(HttpRequest.BodyPublishers.ofFile(file))
                .build();
        HttpResponse<String> resp = send(req, HttpResponse.BodyHandlers.ofString(), node);
        if (resp.statusCode() != 201) {
            throw new IOException("node " + node.id() + " refused blob " + digest + ": HTTP " + resp.statusCode() + " " + resp.body());
        }
    }

    /** Fetches {@code digest} from {@code node} into {@code store}; empty when the node lacks it. */
    public Optional<StoredBlob> fetch(NodeRecord node, Digest digest, long size, BlobStore store) throws IOException {
        HttpRequest req = peers.sign(HttpRequest.newBuilder(uri(node, digest))).timeout(Duration.ofMinutes(10)).GET().build();
        HttpResponse<InputStream> resp = send(req, HttpResponse.BodyHandlers.ofInputStream(), node);
        try (InputStream body = resp.body()) {
            if (resp.statusCode() == 404) {
                return Optional.empty();
            }
            if (resp.statusCode() != 200) {
                throw new IOException("node " + node.id() + " answered HTTP " + resp.statusCode() + " for blob " + digest);
            }
            return Optional.of(store.put(Optional.of(digest), size, body));
        }
    }

    private <T> HttpResponse<T> send(HttpRequest req, HttpResponse.BodyHandler<T> handler, NodeRecord node) throws IOException {
        try {
            return http.send(req, handler);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted talking to node " + node.id(), e);
        } catch (IOException e) {
            throw new IOException("node " + node.id() + " at " + node.httpAddress() + " unreachable: " + e, e);
        }
    }

    private URI uri(NodeRecord node, Digest digest) {
        return peers.uri(node.httpAddress(), PATH + digest);
    }
}
