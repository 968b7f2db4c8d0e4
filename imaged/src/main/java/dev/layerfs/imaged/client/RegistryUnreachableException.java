package dev.layerfs.imaged.client;

import java.io.IOException;
import java.net.URI;

/** No HTTP answer from the registry at all: refused, timed out, not resolvable. */
public class RegistryUnreachableException extends IOException {

    public RegistryUnreachableException(URI server, Throwable cause) {
        super("cannot reach registry " + server + ": " + reason(cause), cause);
    }

    private static String reason(Throwable cause) {
        if (cause.getMessage() != null) {
            return cause.getMessage();
        }
        return cause instanceof java.net.ConnectException ? "connection refused" : cause.getClass().getSimpleName();
    }
}
