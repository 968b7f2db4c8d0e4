package dev.layerfs.imaged.client;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.HttpURLConnection;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLContext;

/**
 * One request of the registry client, over {@link HttpURLConnection} on the caller's thread.
 * Not {@code java.net.http}: its selector thread waits in native code, and the JVM gives such
 * threads 0.3 s to settle at every exit, so each CLI command ended 0.3 s late; that client also
 * took 0.1-0.3 s to start. GET and HEAD follow redirects (at most {@link #MAX_REDIRECTS}, never
 * from https to http, the Authorization header only to the origin it was meant for); other
 * methods answer what they get. PATCH, which {@link HttpURLConnection} lacks, is
 * {@link StreamedPatch}.
 */
public final class HttpCall {

    static final int MAX_REDIRECTS = 5;
    private static final int CONNECT_TIMEOUT_MS = 10_000;

    /** An answer read whole: the URI that gave it, status, headers (lower-case names, first value), body. */
    public record Reply(URI uri, int status, Map<String, String> headers, byte[] body) {
        public Optional<String> header(String name) {
            return Optional.ofNullable(headers.get(name.toLowerCase(Locale.ROOT)));
        }
    }

    /** A request body of known length, written by the caller's thread. */
    public interface Body {
        Body NONE = of(new byte[0], 0, 0);

        long length();

        void writeTo(OutputStream out) throws IOException;

        /**
         * Sent as it is written (fixed-length streaming) rather than buffered first. A streamed
         * request cannot be replayed, so on a 401 the connection keeps no error document.
         */
        default boolean streamed() {
            return false;
        }

        static Body of(byte[] bytes, int off, int len) {
            return new Body() {
                @Override
                public long length() {
                    return len;
                }

                @Override
                public void writeTo(OutputStream out) throws IOException {
                    out.write(bytes, off, len);
                }
            };
        }

        /** Exactly {@code length} bytes of {@code in}. */
        static Body of(InputStream in, long length) {
            return new Body() {
                @Override
                public long length() {
                    return length;
                }

                @Override
                public boolean streamed() {
                    return true;
                }

                @Override
                public void writeTo(OutputStream out) throws IOException {
                    long copied = in.transferTo(out);
                    if (copied != length) {
                        throw new IOException("request body has " + copied + " bytes, not the announced " + length);
                    }
                }
            };
        }
    }

    private HttpCall() {
    }

    /** Sends the request and reads the answer, its body up to {@code limit} + 1 bytes (the caller judges a bigger one). */
    static Reply send(String method, URI server, URI target, Map<String, String> headers, Body body,
                      Optional<SSLContext> tls, int limit) throws IOException {
        return send(method, server, target, headers, body, tls, limit, Duration.ZERO);
    }

    /** As above, giving up when the answer takes longer than {@code timeout} (zero: no limit). */
    public static Reply send(String method, URI server, URI target, Map<String, String> headers, Body body,
                             Optional<SSLContext> tls, int limit, Duration timeout) throws IOException {
        HttpURLConnection c = open(method, server, target, headers, body, tls, timeout);
        try {
            int status = c.getResponseCode();
            Map<String, String> h = new LinkedHashMap<>();
            for (Map.Entry<String, List<String>> e : c.getHeaderFields().entrySet()) {
                if (e.getKey() != null && !e.getValue().isEmpty()) {
                    h.putIfAbsent(e.getKey().toLowerCase(Locale.ROOT), e.getValue().get(0));
                }
            }
            byte[] answer = new byte[0];
            try (InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream()) {
                if (in != null) {
                    answer = in.readNBytes(limit + 1);
                }
            }
            return new Reply(URI.create(c.getURL().toString()), status, h, answer);
        } catch (IOException | RuntimeException e) {
            c.disconnect();
            throw e;
        }
    }

    /**
     * Sends the request (following redirects for GET and HEAD) and returns the connection, its
     * answer not yet read, each read of it bounded by {@code timeout} (zero: no limit). A registry
     * that cannot be reached, or does not answer in time, is a {@link RegistryUnreachableException}.
     */
    static HttpURLConnection open(String method, URI server, URI target, Map<String, String> headers, Body body,
                                  Optional<SSLContext> tls, Duration timeout) throws IOException {
        boolean follows = method.equals("GET") || method.equals("HEAD");
        URI at = target;
        for (int hop = 0; ; hop++) {
            HttpURLConnection c = connection(at, tls);
            c.setReadTimeout((int) Math.min(Integer.MAX_VALUE, timeout.toMillis()));
            c.setRequestMethod(method);
            boolean sameOrigin = sameOrigin(at, target);
            headers.forEach((k, v) -> {
                if (sameOrigin || !k.equalsIgnoreCase("Authorization")) {
                    c.setRequestProperty(k, v);
                }
            });
            int status;
            try {
                if (method.equals("POST") || method.equals("PUT")) {
                    c.setDoOutput(true);
                    if (body.streamed()) {
                        c.setFixedLengthStreamingMode(body.length());
                    }
                    try (OutputStream out = c.getOutputStream()) {
                        body.writeTo(out);
                    }
                }
                status = c.getResponseCode();
            } catch (ConnectException | SocketTimeoutException e) {
                throw new RegistryUnreachableException(server, e);
            }
            String location = c.getHeaderField("Location");
            if (!follows || status / 100 != 3 || status == 304 || location == null) {
                return c;
            }
            if (hop == MAX_REDIRECTS) {
                throw new IOException(method + " " + target + ": more than " + MAX_REDIRECTS + " redirects");
            }
            c.disconnect();
            URI next = at.resolve(location);
            if ("https".equalsIgnoreCase(at.getScheme()) && !"https".equalsIgnoreCase(next.getScheme())) {
                throw new IOException(method + " " + target + ": refused redirect from https to " + next);
            }
            at = next;
        }
    }

    private static HttpURLConnection connection(URI at, Optional<SSLContext> tls) throws IOException {
        HttpURLConnection c;
        try {
            c = (HttpURLConnection) at.toURL().openConnection();
        } catch (IllegalArgumentException e) {
            throw new IOException("cannot reach " + at + ": " + e.getMessage(), e);
        }
        if (c instanceof HttpsURLConnection https && tls.isPresent()) {
            https.setSSLSocketFactory(tls.get().getSocketFactory());
        }
        c.setInstanceFollowRedirects(false);
        c.setConnectTimeout(CONNECT_TIMEOUT_MS);
        c.setUseCaches(false);
        return c;
    }

    private static boolean sameOrigin(URI a, URI b) {
        return a.getHost() != null && a.getHost().equalsIgnoreCase(b.getHost()) && a.getPort() == b.getPort()
                && a.getScheme().equalsIgnoreCase(b.getScheme());
    }
}
