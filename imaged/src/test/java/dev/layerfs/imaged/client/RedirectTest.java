package dev.layerfs.imaged.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.layerfs.imaged.auth.ClientAccess;
import dev.layerfs.imaged.oci.Digest;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Redirects as a registry in front of a blob store sends them: the client follows them for
 * reads, and the token goes only to the registry it was meant for, never to the store.
 */
class RedirectTest {

    private static final String TOKEN = "token-0123456789abcdef";
    private final byte[] blob = "blob bytes kept elsewhere".getBytes(StandardCharsets.UTF_8);
    private final Digest digest = Digest.of(blob);
    private final Map<String, String> authorizationSeen = new ConcurrentHashMap<>();
    private HttpServer registry;
    private HttpServer store;

    @AfterEach
    void stop() {
        for (HttpServer s : new HttpServer[] {registry, store}) {
            if (s != null) {
                s.stop(0);
            }
        }
    }

    @Test
    void aBlobReadFollowsTheRedirectToAnotherOriginWithoutTheToken() throws Exception {
        store = server(ex -> {
            record(ex, "store");
            answer(ex, 200, blob);
        });
        registry = server(ex -> {
            record(ex, "registry");
            ex.getResponseHeaders().add("Location", "http://127.0.0.1:" + store.getAddress().getPort() + "/store/" + digest.hex());
            answer(ex, 307, new byte[0]);
        });
        RegistryClient client = new RegistryClient(URI.create("http://127.0.0.1:" + registry.getAddress().getPort()),
                new ClientAccess(Optional.of(TOKEN), Optional.empty()));

        try (InputStream in = client.openBlob("lib/app", digest)) {
            assertArrayEquals(blob, in.readAllBytes());
        }
        assertEquals("Bearer " + TOKEN, authorizationSeen.get("registry"));
        assertEquals("none", authorizationSeen.get("store"), "the token stays with the registry");
    }

    @Test
    void aRedirectLoopEndsWithAnErrorNamingIt() throws Exception {
        registry = server(ex -> {
            ex.getResponseHeaders().add("Location", ex.getRequestURI().toString());
            answer(ex, 302, new byte[0]);
        });
        RegistryClient client = new RegistryClient(URI.create("http://127.0.0.1:" + registry.getAddress().getPort()));

        IOException e = assertThrows(IOException.class, () -> client.getManifest("lib/app", "v1"));
        assertTrue(e.getMessage().contains("more than " + HttpCall.MAX_REDIRECTS + " redirects"), e.getMessage());
    }

    private interface Handler {
        void handle(HttpExchange ex) throws IOException;
    }

    private static HttpServer server(Handler handler) throws IOException {
        HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        s.createContext("/", ex -> {
            try (ex) {
                handler.handle(ex);
            }
        });
        s.start();
        return s;
    }

    private void record(HttpExchange ex, String who) {
        List<String> auth = ex.getRequestHeaders().get("Authorization");
        authorizationSeen.put(who, auth == null ? "none" : auth.get(0));
    }

    private static void answer(HttpExchange ex, int status, byte[] body) throws IOException {
        ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        if (body.length > 0) {
            ex.getResponseBody().write(body);
        }
    }
}
