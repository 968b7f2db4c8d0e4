package dev.layerfs.imaged.http;

import dev.layerfs.imaged.auth.Pem;
import dev.layerfs.imaged.auth.ServerSecurity;
import java.net.InetSocketAddress;
import java.util.Optional;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/** The Jetty server the registry API is served from: one connector, one handler. */
public final class HttpServer implements AutoCloseable {

    private final Server server;
    private final ServerConnector connector;

    public HttpServer(InetSocketAddress listen, Handler handler) {
        this(listen, handler, Optional.empty());
    }

    /** With {@code tls}, the API is served over HTTPS only, with that certificate and key. */
    public HttpServer(InetSocketAddress listen, Handler handler, Optional<ServerSecurity.Tls> tls) {
        QueuedThreadPool threads = new QueuedThreadPool(200, 8);
        threads.setName("http");
        server = new Server(threads);
        connector = tls.isPresent() ? new ServerConnector(server, sslContext(tls.get())) : new ServerConnector(server);
        connector.setHost(listen.getHostString());
        connector.setPort(listen.getPort());
        // On shutdown, idle keep-alive connections close at once; requests in flight get the stop timeout.
        connector.setShutdownIdleTimeout(100);
        server.addConnector(connector);
        server.setHandler(handler);
        server.setStopTimeout(5_000);
    }

    private static SslContextFactory.Server sslContext(ServerSecurity.Tls tls) {
        // Jetty wants a key store: built in memory from the PEM files, under a throwaway password.
        char[] password = Long.toHexString(new java.security.SecureRandom().nextLong()).toCharArray();
        SslContextFactory.Server ssl = new SslContextFactory.Server();
        ssl.setKeyStore(Pem.keyStore(tls.cert(), tls.key(), password));
        ssl.setKeyStorePassword(new String(password));
        ssl.setKeyManagerPassword(new String(password));
        return ssl;
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
