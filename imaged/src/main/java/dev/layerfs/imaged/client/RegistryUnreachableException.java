package dev.layerfs.imaged.client;

import java.io.IOException;
import java.net.URI;

/** No HTTP answer from the registry at all: refused, timed out, not resolvable. */
public class RegistryUnreachableException extends IOException {

    public RegistryUnreachableException(URI server, Throwable cause) {
        super("cannot reach registry " + server + ": "
                + (cause.getMessage() != null ? cause.getMessage() : cause.getClass().getSimpleName()), cause);
    }
}
