package dev.layerfs.imaged.client;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.SSLContext;

/**
 * A blob GET whose body the caller's thread reads straight from the socket. {@code java.net.http}
 * hands a body over in 16 KiB heap buffers between its own threads: a 500 MB blob took 1.3-1.5 s
 * through it on loopback against 0.4 s for a plain socket read (curl, {@link HttpURLConnection}),
 * and a pull is mostly that read. Redirects are followed as {@link HttpCall} does.
 */
final class BlobDownload {

    /** The answer: status, the connection (for headers and the error body) and, for 200, the body. */
    record Answer(int status, HttpURLConnection connection, InputStream body) {
        Optional<String> header(String name) {
            return Optional.ofNullable(connection.getHeaderField(name));
        }
    }

    private BlobDownload() {
    }

    /**
     * GETs {@code target} with {@code headers} (the Authorization header among them only while
     * the host stays the same), following redirects ({@link HttpCall}). The caller closes the body.
     */
    static Answer get(URI server, URI target, Map<String, String> headers, Optional<SSLContext> tls) throws IOException {
        HttpURLConnection c = HttpCall.open("GET", server, target, headers, HttpCall.Body.NONE, tls, java.time.Duration.ZERO);
        int status = c.getResponseCode();
        InputStream body = status == 200 ? new Closing(c.getInputStream(), c) : null;
        return new Answer(status, c, body);
    }

    /** The error document of an answer that was not 200, at most {@code limit} bytes. */
    static byte[] errorBody(Answer answer, int limit) {
        try (InputStream err = answer.connection().getErrorStream()) {
            return err == null ? new byte[0] : err.readNBytes(limit);
        } catch (IOException e) {
            return new byte[0];
        } finally {
            answer.connection().disconnect();
        }
    }

    /** The body; closing it also releases the connection. */
    private static final class Closing extends FilterInputStream {
        private final HttpURLConnection connection;

        Closing(InputStream in, HttpURLConnection connection) {
            super(in);
            this.connection = connection;
        }

        @Override
        public void close() throws IOException {
            try {
                super.close();
            } finally {
                connection.disconnect();
            }
        }
    }
}
