package dev.layerfs.cli.imaged;

import dev.layerfs.cli.UserError;
import dev.layerfs.imaged.client.ImageRef;
import java.net.URI;
import java.net.URISyntaxException;

/** Parsing shared by push and pull: the --server URL and image references, as user errors. */
public final class Servers {

    /** The local imaged, where {@code imaged serve} listens by default. */
    public static final String DEFAULT = "http://127.0.0.1:5000";

    private Servers() {
    }

    public static URI url(String server) {
        try {
            URI uri = new URI(server);
            if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null) {
                throw new UserError("--server " + server + " is not an http(s)://HOST[:PORT] URL");
            }
            return uri;
        } catch (URISyntaxException e) {
            throw new UserError("--server " + server + " is not a URL: " + e.getReason());
        }
    }

    public static ImageRef image(String value) {
        try {
            return ImageRef.parse(value);
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage());
        }
    }
}
