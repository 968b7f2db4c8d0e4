package dev.layerfs.cli.imaged;

import dev.layerfs.cli.UserError;
import dev.layerfs.imaged.auth.ClientAccess;
import dev.layerfs.imaged.client.RegistryException;
import java.nio.file.Path;
import java.util.Optional;
import picocli.CommandLine.Option;

/** The options every registry client command shares: its token and the certificates it trusts. */
public final class RegistryAccessOptions {

    @Option(names = "--token-file", paramLabel = "FILE",
            description = "File whose first line is the token to send (Authorization: Bearer); default: $IMAGED_TOKEN.")
    Path tokenFile;

    @Option(names = "--ca-file", paramLabel = "FILE",
            description = "PEM certificates to trust for an https registry (e.g. its self-signed certificate); "
                    + "default: $IMAGED_CA_FILE, else the JVM's trust store.")
    Path caFile;

    /** The --token-file given, to be recorded (never the token) for later use, e.g. by a container's hooks. */
    public Optional<Path> tokenFile() {
        return Optional.ofNullable(tokenFile);
    }

    public Optional<Path> caFile() {
        return Optional.ofNullable(caFile);
    }

    public ClientAccess access() {
        try {
            return ClientAccess.from(Optional.ofNullable(tokenFile), Optional.ofNullable(caFile), System.getenv());
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage(), e);
        }
    }

    /** A refusal for want of a (right) token, as one line telling what to give. */
    public static void explainRefusal(RegistryException e, String server) {
        if (e.status() == 401 || e.status() == 403) {
            throw new UserError("registry " + server + " refused access (" + e.code() + "): give a valid token with "
                    + "--token-file FILE or $" + ClientAccess.TOKEN_ENV, e);
        }
    }
}
