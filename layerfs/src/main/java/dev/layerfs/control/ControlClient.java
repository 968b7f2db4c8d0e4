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
        String reply;
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            ch.write(ByteBuffer.wrap(request.encode()));
            ch.shutdownOutput();
            reply = new String(Channels.newInputStream(ch).readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ControlException("cannot reach the daemon of " + mountPoint + " at " + socket + ": " + e.getMessage(), e);
        }
        int nl = reply.indexOf('\n');
        String head = nl < 0 ? reply : reply.substring(0, nl);
        String body = nl < 0 ? "" : reply.substring(nl + 1);
        if (head.equals("ok")) {
            return body;
        }
        if (head.startsWith("error")) {
            throw new ControlException(body + " (" + head.substring(5).strip() + ")");
        }
        throw new ControlException("unexpected answer from the daemon of " + mountPoint + ": " + head);
    }
}
