package dev.layerfs.imaged.client;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * One HTTP/1.1 PATCH whose body the caller's thread writes straight to the connection, for a
 * blob upload that is read, checked and digested in the same pass. {@code java.net.http} only
 * takes bodies it pulls itself on its own threads (under CPU contention every hand-off costs),
 * and {@code HttpURLConnection} has no PATCH. The connection is not reused ({@code Connection:
 * close}); the body must be exactly the announced length.
 */
final class StreamedPatch implements Closeable {

    /** Answers larger than this are cut (an upload's answer is a few headers and maybe an error document). */
    private static final int MAX_ANSWER_BODY = 1 << 20;
    private static final int CONNECT_TIMEOUT_MS = 10_000;
    /** The registry answers once it has the last byte; this only bounds a silent, hung registry. */
    private static final int ANSWER_TIMEOUT_MS = 300_000;

    /** The registry's answer: status, headers (lower-case names), body. */
    record Answer(int status, Map<String, String> headers, byte[] body) {
        Optional<String> header(String name) {
            return Optional.ofNullable(headers.get(name.toLowerCase(Locale.ROOT)));
        }
    }

    private final Socket socket;
    private final OutputStream out;
    private final long length;
    private long written;
    private boolean sendFailed;

    private StreamedPatch(Socket socket, long length) throws IOException {
        this.socket = socket;
        this.out = new BufferedOutputStream(socket.getOutputStream(), 1 << 16);
        this.length = length;
    }

    /** Connects and sends the request line and headers; the body follows through {@link #body()}. */
    static StreamedPatch open(URI target, long length, Map<String, String> headers, Optional<SSLContext> tls) throws IOException {
        boolean https = "https".equalsIgnoreCase(target.getScheme());
        int port = target.getPort() > 0 ? target.getPort() : https ? 443 : 80;
        Socket socket = new Socket();
        try {
            socket.connect(new InetSocketAddress(target.getHost(), port), CONNECT_TIMEOUT_MS);
            if (https) {
                SSLContext context = tls.isPresent() ? tls.get() : SSLContext.getDefault();
                SSLSocket ssl = (SSLSocket) context.getSocketFactory().createSocket(socket, target.getHost(), port, true);
                SSLParameters params = ssl.getSSLParameters();
                params.setEndpointIdentificationAlgorithm("HTTPS"); // the certificate must name the host
                ssl.setSSLParameters(params);
                ssl.startHandshake();
                socket = ssl;
            }
            socket.setSoTimeout(ANSWER_TIMEOUT_MS);
            StreamedPatch patch = new StreamedPatch(socket, length);
            patch.head(target, port, headers);
            return patch;
        } catch (IOException | java.security.NoSuchAlgorithmException e) {
            socket.close();
            throw e instanceof IOException io ? io : new IOException("no TLS for " + target + ": " + e.getMessage(), e);
        }
    }

    private void head(URI target, int port, Map<String, String> headers) throws IOException {
        String path = target.getRawPath() + (target.getRawQuery() != null ? "?" + target.getRawQuery() : "");
        StringBuilder h = new StringBuilder("PATCH ").append(path.isEmpty() ? "/" : path).append(" HTTP/1.1\r\n")
                .append("Host: ").append(target.getHost()).append(':').append(port).append("\r\n")
                .append("Content-Length: ").append(length).append("\r\n")
                .append("Connection: close\r\n");
        headers.forEach((k, v) -> h.append(k).append(": ").append(v).append("\r\n"));
        out.write(h.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1));
    }

    /** Where the body goes: exactly the announced length, no more. */
    OutputStream body() {
        return new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                if (written + len > length) {
                    throw new IOException("upload body exceeds the announced " + length + " bytes");
                }
                try {
                    out.write(b, off, len);
                } catch (IOException e) {
                    sendFailed = true;
                    throw e;
                }
                written += len;
            }
        };
    }

    /** Sends what is buffered and reads the answer; the body must be complete. */
    Answer finish() throws IOException {
        if (written != length) {
            throw new IOException("upload body has " + written + " of the announced " + length + " bytes");
        }
        out.flush();
        return readAnswer(new BufferedInputStream(socket.getInputStream(), 1 << 14));
    }

    /**
     * The answer the registry sent before it stopped reading (it refused the upload early, say),
     * if sending failed and there is one to read; empty otherwise.
     */
    Optional<Answer> earlyAnswer() {
        if (!sendFailed) {
            return Optional.empty(); // the caller gave up, not the registry: it is still waiting for the body
        }
        try {
            socket.setSoTimeout(5_000);
            return Optional.of(readAnswer(new BufferedInputStream(socket.getInputStream(), 1 << 14)));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static Answer readAnswer(InputStream in) throws IOException {
        String status = line(in);
        String[] parts = status.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/")) {
            throw new IOException("not an HTTP answer: " + status);
        }
        int code;
        try {
            code = Integer.parseInt(parts[1]);
        } catch (NumberFormatException e) {
            throw new IOException("not an HTTP status: " + status, e);
        }
        Map<String, String> headers = new LinkedHashMap<>();
        for (String l; !(l = line(in)).isEmpty(); ) {
            int colon = l.indexOf(':');
            if (colon > 0) {
                headers.put(l.substring(0, colon).trim().toLowerCase(Locale.ROOT), l.substring(colon + 1).trim());
            }
        }
        byte[] body;
        if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            for (int size; (size = Integer.parseInt(line(in).split(";", 2)[0].trim(), 16)) > 0; ) {
                byte[] chunk = in.readNBytes(size);
                b.write(chunk, 0, Math.min(chunk.length, MAX_ANSWER_BODY - b.size()));
                line(in);
            }
            body = b.toByteArray();
        } else if (headers.containsKey("content-length")) {
            body = in.readNBytes((int) Math.min(Long.parseLong(headers.get("content-length")), MAX_ANSWER_BODY));
        } else {
            body = in.readNBytes(MAX_ANSWER_BODY);
        }
        return new Answer(code, headers, body);
    }

    private static String line(InputStream in) throws IOException {
        StringBuilder s = new StringBuilder();
        for (int c; (c = in.read()) != '\n'; ) {
            if (c < 0) {
                throw new IOException("connection closed in the middle of the registry's answer");
            }
            if (s.length() > 16 << 10) {
                throw new IOException("answer line too long");
            }
            if (c != '\r') {
                s.append((char) c);
            }
        }
        return s.toString();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
