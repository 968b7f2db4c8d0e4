package dev.layerfs.imaged.http;

import java.net.InetSocketAddress;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/** The Jetty server the registry API is served from: one connector, one handler. */
public final class HttpServer implements AutoCloseable {

    private final Server server;
    private final ServerConnector connector;

    public HttpServer(InetSocketAddress listen, Handler handler) {
        QueuedThreadPool threads = new QueuedThreadPool(200, 8);
        threads.setName("http");
        server = new Server(threads);
        connector = new ServerConnector(server);
        connector.setHost(listen.getHostString());
        connector.setPort(listen.getPort());
        // On shutdown, idle keep-alive connections close at once; requests in flight get the stop timeout.
        connector.setShutdownIdleTimeout(100);
        server.addConnector(connector);
        server.setHandler(handler);
        server.setStopTimeout(5_000);
    }

    public void start() throws Exception {
        server.start();
    }

    /** The bound port (useful when asked for port 0). */
    public int port() {
        return connector.getLocalPort();
    }

    @Override
    public void close() throws Exception {
        server.stop();
    }
}
