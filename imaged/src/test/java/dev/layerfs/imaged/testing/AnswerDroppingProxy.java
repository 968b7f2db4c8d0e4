package dev.layerfs.imaged.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;

/**
 * A TCP proxy in front of an HTTP/1.1 server that loses one answer on the way back: the first
 * request whose request line matches is passed on, the server acts on it, and once the server's
 * answer begins the client's connection is closed without a byte of it. That is what a client
 * sees when a connection breaks after the server committed a change. Every other request and
 * answer passes unchanged. Requests must be framed by Content-Length (as HttpURLConnection and
 * our streamed PATCH send them); answers are passed as bytes, whatever their framing.
 */
public final class AnswerDroppingProxy implements AutoCloseable {

    private final InetSocketAddress upstream;
    private final Predicate<String> lose;
    private final ServerSocket listener;
    private final AtomicBoolean lost = new AtomicBoolean();
    private final List<String> requestLines = new CopyOnWriteArrayList<>();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();

    /** Forwards to {@code upstream} ("host:port"); loses the answer to the first request line {@code lose} accepts. */
    public AnswerDroppingProxy(String upstream, Predicate<String> lose) throws IOException {
        int colon = upstream.lastIndexOf(':');
        this.upstream = new InetSocketAddress(upstream.substring(0, colon), Integer.parseInt(upstream.substring(colon + 1)));
        this.lose = lose;
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread t = new Thread(this::accept, "answer-dropping-proxy");
        t.setDaemon(true);
        t.start();
    }

    /** "127.0.0.1:PORT" of the proxy. */
    public String address() {
        return "127.0.0.1:" + listener.getLocalPort();
    }

    /** Whether an answer has been lost yet. */
    public boolean lostOne() {
        return lost.get();
    }

    /** The request lines passed on so far, in order. */
    public List<String> requestLines() {
        return List.copyOf(requestLines);
    }

    private void accept() {
        while (!listener.isClosed()) {
            try {
                Socket client = listener.accept();
                Socket server = new Socket();
                server.connect(upstream, 5_000);
                sockets.add(client);
                sockets.add(server);
                AtomicBoolean dropNext = new AtomicBoolean();
                start(() -> requests(client, server, dropNext));
                start(() -> answers(server, client, dropNext));
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private static void start(Runnable r) {
        Thread t = new Thread(r, "answer-dropping-proxy-pump");
        t.setDaemon(true);
        t.start();
    }

    /** Client to server, one request at a time (the client waits for each answer before the next). */
    private void requests(Socket client, Socket server, AtomicBoolean dropNext) {
        try (InputStream in = client.getInputStream(); OutputStream out = server.getOutputStream()) {
            while (true) {
                byte[] head = readHead(in);
                if (head == null) {
                    return;
                }
                String text = new String(head, StandardCharsets.ISO_8859_1);
                String requestLine = text.substring(0, text.indexOf("\r\n"));
                requestLines.add(requestLine);
                if (lose.test(requestLine) && lost.compareAndSet(false, true)) {
                    dropNext.set(true);
                }
                out.write(head);
                long length = contentLength(text);
                byte[] buf = new byte[64 * 1024];
                while (length > 0) {
                    int n = in.read(buf, 0, (int) Math.min(buf.length, length));
                    if (n < 0) {
                        return;
                    }
                    out.write(buf, 0, n);
                    length -= n;
                }
                out.flush();
            }
        } catch (IOException e) {
            // either side closed
        } finally {
            closeQuietly(client, server);
        }
    }

    /** Server to client, as bytes; the first bytes of a lost answer close both connections instead. */
    private static void answers(Socket server, Socket client, AtomicBoolean dropNext) {
        try (InputStream in = server.getInputStream(); OutputStream out = client.getOutputStream()) {
            byte[] buf = new byte[64 * 1024];
            int n;
            while ((n = in.read(buf)) >= 0) {
                if (dropNext.get()) {
                    return; // the server has acted on it and begun to answer: the answer never arrives
                }
                out.write(buf, 0, n);
                out.flush();
            }
        } catch (IOException e) {
            // either side closed
        } finally {
            closeQuietly(client, server);
        }
    }

    /** The request line and headers up to the blank line, or null at the end of the stream. */
    private static byte[] readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int last4 = 0;
        int c;
        while ((c = in.read()) >= 0) {
            head.write(c);
            last4 = (last4 << 8) | c;
            if (last4 == 0x0d0a0d0a) { // CR LF CR LF
                return head.toByteArray();
            }
        }
        return null;
    }

    private static long contentLength(String head) throws IOException {
        for (String line : head.split("\r\n")) {
            String lower = line.toLowerCase(Locale.ROOT);
            if (lower.startsWith("transfer-encoding:")) {
                throw new IOException("the proxy passes Content-Length requests only: " + line);
            }
            if (lower.startsWith("content-length:")) {
                return Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
            }
        }
        return 0;
    }

    private static void closeQuietly(Socket... sockets) {
        for (Socket s : sockets) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }

    @Override
    public void close() throws IOException {
        listener.close();
        closeQuietly(sockets.toArray(Socket[]::new));
    }
}
