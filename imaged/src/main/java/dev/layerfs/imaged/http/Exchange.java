package dev.layerfs.imaged.http;

import dev.layerfs.imaged.meta.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;

/**
 * One HTTP request and its response, with the few operations the handlers need; every response
 * is written here (blocking) and completes the Jetty callback exactly once.
 */
final class Exchange {

    private final Request request;
    private final Response response;
    private final Callback callback;
    private Fields query;

    Exchange(Request request, Response response, Callback callback) {
        this.request = request;
        this.response = response;
        this.callback = callback;
    }

    String method() {
        return request.getMethod();
    }

    boolean isHead() {
        return "HEAD".equals(request.getMethod());
    }

    Optional<String> header(String name) {
        return Optional.ofNullable(request.getHeaders().get(name));
    }

    Optional<String> param(String name) {
        if (query == null) {
            query = Request.extractQueryParameters(request);
        }
        return Optional.ofNullable(query.getValue(name));
    }

    /** The declared body length, or -1 when unknown (chunked). */
    long contentLength() {
        return request.getLength();
    }

    InputStream body() {
        return Content.Source.asInputStream(request);
    }

    byte[] bodyBytes(int limit) throws IOException {
        try (InputStream in = body()) {
            return in.readNBytes(limit + 1);
        }
    }

    Exchange header(String name, String value) {
        response.getHeaders().put(name, value);
        return this;
    }

    void sendEmpty(int status) {
        response.setStatus(status);
        response.getHeaders().put("Content-Length", 0L);
        response.write(true, BufferUtil.EMPTY_BUFFER, callback);
    }

    void sendBytes(int status, String contentType, byte[] body) {
        response.setStatus(status);
        response.getHeaders().put("Content-Type", contentType);
        response.getHeaders().put("Content-Length", (long) body.length);
        response.write(true, isHead() ? BufferUtil.EMPTY_BUFFER : java.nio.ByteBuffer.wrap(body), callback);
    }

    void sendJson(int status, Object value) {
        sendBytes(status, "application/json", Json.write(value));
    }

    /** Answers a HEAD: the headers a GET would send, no body. */
    void sendHead(int status, String contentType, long length) {
        response.setStatus(status);
        response.getHeaders().put("Content-Type", contentType);
        response.getHeaders().put("Content-Length", length);
        response.write(true, BufferUtil.EMPTY_BUFFER, callback);
    }

    /** Streams {@code length} bytes of {@code file} from {@code offset}. */
    void sendFile(int status, String contentType, Path file, long offset, long length) {
        if (isHead()) {
            sendHead(status, contentType, length);
            return;
        }
        response.setStatus(status);
        response.getHeaders().put("Content-Type", contentType);
        response.getHeaders().put("Content-Length", length);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
             OutputStream out = Content.Sink.asOutputStream(response)) {
            ch.position(offset);
            InputStream in = Channels.newInputStream(ch);
            byte[] buf = new byte[1 << 16];
            long left = length;
            while (left > 0) {
                int n = in.read(buf, 0, (int) Math.min(buf.length, left));
                if (n < 0) {
                    throw new IOException("blob file " + file + " ended " + left + " bytes early");
                }
                out.write(buf, 0, n);
                left -= n;
            }
        } catch (IOException e) {
            callback.failed(e);
            return;
        }
        callback.succeeded();
    }

    boolean committed() {
        return response.isCommitted();
    }

    void fail(Throwable t) {
        callback.failed(t);
    }
}
