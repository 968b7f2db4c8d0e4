package dev.layerfs.control;

import dev.layerfs.mount.MountTable;
import dev.layerfs.mount.RunFiles;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Asks the daemon of a mounted union, through its control socket, to show or change its branches. */
public final class ControlClient {

    private ControlClient() {
    }

    /** The branches after the request, in AUFS syntax; ControlException with the daemon's reason otherwise. */
    public static String send(Path mountPoint, ControlRequest request) {
        Path real;
        try {
            real = mountPoint.toAbsolutePath().normalize().toRealPath();
        } catch (IOException e) {
            throw new ControlException("mountpoint " + mountPoint + ": no such directory");
        }
        String type = MountTable.typeAt(real).orElseThrow(() -> new ControlException("not mounted: " + mountPoint));
        if (!type.equals("fuse.layerfs")) {
            throw new ControlException(mountPoint + " is not a layerfs mount (" + type + ")");
        }
        return send(RunFiles.control(real), real, request);
    }

    static String send(Path socket, Path mountPoint, ControlRequest request) {
        if (!Files.exists(socket)) {
            throw new ControlException("no control socket " + socket + " for " + mountPoint
                    + " (mounted by an older layerfs, or by another user?)");
        }
        Answer answer;
        try {
            answer = exchange(socket, request.encode());
        } catch (IOException e) {
            throw new ControlException("cannot reach the daemon of " + mountPoint + " at " + socket + ": " + e.getMessage(), e);
        }
        if (answer.ok()) {
            return answer.body();
        }
        if (answer.errno().isPresent()) {
            throw new ControlException(answer.body() + " (" + answer.errno().get() + ")");
        }
        throw new ControlException("unexpected answer from the daemon of " + mountPoint + ": " + answer.body());
    }

    /**
     * A server's answer: {@code ok} and a body, or an error with its errno name and a message as
     * the body; anything else has no errno and the unexpected first line as its body.
     */
    public record Answer(boolean ok, java.util.Optional<String> errno, String body) {
    }

    /** Sends one request (NUL-separated fields) to the server at {@code socket} and reads its answer. */
    public static Answer exchange(Path socket, byte[] request) throws IOException {
        String reply;
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            ch.write(ByteBuffer.wrap(request));
            ch.shutdownOutput();
            reply = new String(Channels.newInputStream(ch).readAllBytes(), StandardCharsets.UTF_8);
        }
        int nl = reply.indexOf('\n');
        String head = nl < 0 ? reply : reply.substring(0, nl);
        String body = nl < 0 ? "" : reply.substring(nl + 1);
        if (head.equals("ok")) {
            return new Answer(true, java.util.Optional.empty(), body);
        }
        if (head.startsWith("error")) {
            return new Answer(false, java.util.Optional.of(head.substring(5).strip()), body);
        }
        return new Answer(false, java.util.Optional.empty(), head);
    }
}
