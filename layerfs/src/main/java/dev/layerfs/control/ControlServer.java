package dev.layerfs.control;

import dev.layerfs.branch.BranchSpecException;
import dev.layerfs.mount.MountException;
import dev.layerfs.sys.Errno;
import dev.layerfs.sys.ErrnoException;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The daemon's end of the control socket: a Unix domain socket beside the mount's pid file,
 * readable and writable by the daemon's user only, whose peers must be that user or root
 * (checked with SO_PEERCRED). Requests are handled one at a time, so two changes never
 * interleave; each connection is read on its own thread, so a client that never finishes its
 * request blocks nobody. Answers: {@code ok} and the branches after the request, or {@code error},
 * the errno name and a message naming the branch.
 */
public final class ControlServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ControlServer.class);
    /** Largest request read: edits are short lines. */
    private static final int MAX_REQUEST = 64 * 1024;

    /** What the daemon does with a request; returns the branches after it, in AUFS syntax. */
    @FunctionalInterface
    public interface Handler {
        String handle(ControlRequest request) throws ErrnoException;
    }

    /**
     * A request as it arrived (its NUL-separated fields), for a server with its own requests
     * (the mount host, {@code dev.layerfs.host}); returns the answer's body.
     */
    @FunctionalInterface
    public interface RawHandler {
        String handle(byte[] request) throws ErrnoException;
    }

    private final Path socket;
    private final ServerSocketChannel server;
    private final Thread thread;

    private ControlServer(Path socket, ServerSocketChannel server, RawHandler handler) {
        this.socket = socket;
        this.server = server;
        this.thread = new Thread(() -> serve(handler), "layerfs-control");
        this.thread.setDaemon(true);
    }

    /**
     * Binds {@code socket} (replacing a stale one a killed daemon left) and starts serving. The
     * socket is made in a private directory, restricted, then moved into place, so it is never
     * reachable with looser permissions (the umask is the process's and may be 0 while serving).
     */
    public static ControlServer start(Path socket, Handler handler) throws IOException {
        return startRaw(socket, raw -> handler.handle(ControlRequest.decode(raw)));
    }

    /** As {@link #start}, for requests other than branch changes; errors are answered alike. */
    public static ControlServer startRaw(Path socket, RawHandler handler) throws IOException {
        Files.createDirectories(socket.getParent());
        Path nest = Files.createTempDirectory(socket.getParent(), ".control-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Path made = nest.resolve("s");
        ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            ch.bind(UnixDomainSocketAddress.of(made));
            Files.setPosixFilePermissions(made, PosixFilePermissions.fromString("rw-------"));
            Files.move(made, socket, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            ch.close();
            throw new IOException("cannot listen on " + socket + ": " + e.getMessage(), e);
        } finally {
            Files.deleteIfExists(made);
            Files.deleteIfExists(nest);
        }
        ControlServer s = new ControlServer(socket, ch, handler);
        s.thread.start();
        return s;
    }

    public Path socket() {
        return socket;
    }

    private void serve(RawHandler handler) {
        while (server.isOpen()) {
            SocketChannel client;
            try {
                client = server.accept();
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                LOG.warn("control socket {}: {}", socket, e.toString());
                continue;
            }
            // a client that never finishes its request holds only its own thread
            Thread t = new Thread(() -> {
                try (client) {
                    answer(client, handler);
                } catch (IOException | RuntimeException e) {
                    LOG.warn("control request on {} failed: {}", socket, e.toString());
                }
            }, "layerfs-control-request");
            t.setDaemon(true);
            t.start();
        }
    }

    private void answer(SocketChannel client, RawHandler handler) throws IOException {
        String reply;
        UnixDomainPrincipal peer = client.getOption(ExtendedSocketOptions.SO_PEERCRED);
        String me = System.getProperty("user.name");
        if (!peer.user().getName().equals(me) && !peer.user().getName().equals("root")) {
            LOG.warn("control request from user {} refused on {}", peer.user().getName(), socket);
            reply = "error EPERM\nonly " + me + " or root may change the branches of this mount";
        } else {
            reply = handle(readRequest(client), handler);
        }
        Channels.newOutputStream(client).write(reply.getBytes(StandardCharsets.UTF_8));
    }

    private String handle(byte[] raw, RawHandler handler) {
        try {
            String body;
            synchronized (this) { // one request at a time: a change reads the stack it replaces
                body = handler.handle(raw);
            }
            return "ok\n" + body;
        } catch (BranchSpecException e) {
            LOG.info("branch change refused: {}", e.getMessage());
            return "error EINVAL\n" + e.getMessage();
        } catch (ErrnoException e) {
            LOG.info("branch change refused: {}", e.getMessage());
            return "error " + Errno.name(e.errno()) + "\n" + e.getMessage();
        } catch (MountException e) {
            LOG.info("mount refused: {}", e.getMessage());
            return "error EINVAL\n" + e.getMessage();
        } catch (RuntimeException e) {
            LOG.error("control request failed unexpectedly", e);
            return "error EIO\n" + e;
        }
    }

    private static byte[] readRequest(SocketChannel client) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(MAX_REQUEST);
        while (buf.hasRemaining() && client.read(buf) >= 0) {
            // until the client shuts its side down
        }
        buf.flip();
        byte[] b = new byte[buf.remaining()];
        buf.get(b);
        return b;
    }

    @Override
    public void close() {
        try {
            server.close();
            thread.join(5_000);
            Files.deleteIfExists(socket);
        } catch (IOException e) {
            LOG.warn("could not remove {}: {}", socket, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
