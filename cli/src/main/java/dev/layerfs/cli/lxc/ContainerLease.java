package dev.layerfs.cli.lxc;

import dev.layerfs.imaged.auth.ClientAccess;

import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Properties;

/**
 * A container's lease, kept beside its config ({@code imaged.lease}): the registry that grants
 * it, how long a grant lasts, how to reach the registry (token and CA files, never the token
 * itself) and, once the container has started, the last grant this host got: its holder id and
 * fencing token, which {@code imaged lxc commit} presents.
 */
public record ContainerLease(URI server, Duration ttl, Optional<Path> tokenFile, Optional<Path> caFile,
                             Optional<String> holder, OptionalLong token) {

    public static ContainerLease fresh(URI server, Duration ttl, Optional<Path> tokenFile, Optional<Path> caFile) {
        return new ContainerLease(server, ttl, tokenFile.map(Path::toAbsolutePath), caFile.map(Path::toAbsolutePath),
                Optional.empty(), OptionalLong.empty());
    }

    public ContainerLease granted(String holder, long token) {
        return new ContainerLease(server, ttl, tokenFile, caFile, Optional.of(holder), OptionalLong.of(token));
    }

    /** The registry access the hooks use: the recorded files, else the environment lxc-start had. */
    public ClientAccess access(Map<String, String> env) {
        return ClientAccess.from(tokenFile, caFile, env);
    }

    public String toText() {
        StringBuilder s = new StringBuilder("# The lease that keeps this container on one host at a time (imaged lxc create).\n")
                .append("server=").append(server).append('\n')
                .append("ttl-ms=").append(ttl.toMillis()).append('\n');
        tokenFile.ifPresent(f -> s.append("token-file=").append(f).append('\n'));
        caFile.ifPresent(f -> s.append("ca-file=").append(f).append('\n'));
        holder.ifPresent(h -> s.append("# the last grant this host got, written by the lease hook at start\nholder=").append(h).append('\n'));
        token.ifPresent(t -> s.append("token=").append(t).append('\n'));
        return s.toString();
    }

    /** The container's lease, or empty for a container without one (--no-lease, or over plain branches). */
    public static Optional<ContainerLease> read(ContainerDir container) {
        Path file = container.leaseFile();
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        Properties p = new Properties();
        try {
            p.load(new StringReader(text));
            String token = p.getProperty("token");
            return Optional.of(new ContainerLease(URI.create(p.getProperty("server")),
                    Duration.ofMillis(Long.parseLong(p.getProperty("ttl-ms"))),
                    Optional.ofNullable(p.getProperty("token-file")).map(Path::of),
                    Optional.ofNullable(p.getProperty("ca-file")).map(Path::of),
                    Optional.ofNullable(p.getProperty("holder")),
                    token == null ? OptionalLong.empty() : OptionalLong.of(Long.parseLong(token))));
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException(file + " is damaged: " + e.getMessage(), e);
        }
    }

    /** Replaces the file in one step: a crash leaves the old grant or the new one, never half. */
    public void write(ContainerDir container) {
        Path file = container.leaseFile();
        Path temp = file.resolveSibling("." + file.getFileName() + ".new");
        try {
            Files.writeString(temp, toText());
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }
}
