package dev.layerfs.imaged.http;

import dev.layerfs.imaged.meta.Json;
import dev.layerfs.imaged.meta.WriteIndex;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Blocker;
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

    /** A request that wrote says at which Raft index it committed (see {@link IndexGate}). */
    private void stampWriteIndex() {
        WriteIndex.latest().ifPresent(i -> response.getHeaders().put(IndexGate.INDEX_HEADER, i));
    }

    void sendEmpty(int status) {
        stampWriteIndex();
        response.setStatus(status);
        response.getHeaders().put("Content-Length", 0L);
        response.write(true, BufferUtil.EMPTY_BUFFER, callback);
    }

    void sendBytes(int status, String contentType, byte[] body) {
        stampWriteIndex();
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
        stampWriteIndex();
        response.setStatus(status);
        response.getHeaders().put("Content-Type", contentType);
        response.getHeaders().put("Content-Length", length);
        response.write(true, BufferUtil.EMPTY_BUFFER, callback);
    }

    /** How much of a blob file is mapped and handed to the connection at once. */
    static final long WINDOW = 8L << 20;

    /**
     * Streams {@code length} bytes of {@code file} from {@code offset}. The file is mapped and its
     * pages written to the connection a window at a time, so the bytes go from the page cache to
     * the socket in one kernel copy, never through the heap (the reference registry uses
     * sendfile). Mapping is safe because blob files are only ever renamed into place and deleted,
     * never truncated or rewritten: a page past the end cannot appear (which would be SIGBUS), and
     * a file deleted meanwhile stays readable through its mapping. Windows are unmapped by the GC.
     */
    void sendFile(int status, String contentType, Path file, long offset, long length) {
        stampWriteIndex();
        if (isHead()) {
            sendHead(status, contentType, length);
            return;
        }
        response.setStatus(status);
        response.getHeaders().put("Content-Type", contentType);
        response.getHeaders().put("Content-Length", length);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            if (ch.size() < offset + length) {
                throw new IOException("blob file " + file + " has " + ch.size() + " bytes, " + (offset + length) + " needed");
            }
            long sent = 0;
            do {
                long n = Math.min(WINDOW, length - sent);
                ByteBuffer window = ch.map(FileChannel.MapMode.READ_ONLY, offset + sent, n);
                sent += n;
                try (Blocker.Callback written = Blocker.callback()) {
                    response.write(sent == length, window, written);
                    written.block();
                }
            } while (sent < length);
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
