package dev.layerfs.imaged.auth;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Optional;

/**
 * The token a request presents in its {@code Authorization} header: {@code Bearer TOKEN}, or HTTP
 * Basic with the token as the password and any user name (what {@code skopeo --creds user:TOKEN}
 * and {@code docker login} send after a challenge).
 */
public final class Credentials {

    private Credentials() {
    }

    public static Optional<String> token(String authorization) {
        if (authorization == null) {
            return Optional.empty();
        }
        String h = authorization.strip();
        int space = h.indexOf(' ');
        if (space < 0) {
            return Optional.empty();
        }
        String scheme = h.substring(0, space);
        String value = h.substring(space + 1).strip();
        if (scheme.equalsIgnoreCase("Bearer")) {
            return value.isEmpty() ? Optional.empty() : Optional.of(value);
        }
        if (scheme.equalsIgnoreCase("Basic")) {
            String userPassword;
            try {
                userPassword = new String(Base64.getDecoder().decode(value), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException notBase64) {
                return Optional.empty();
            }
            int colon = userPassword.indexOf(':');
            String password = colon < 0 ? "" : userPassword.substring(colon + 1);
            return password.isEmpty() ? Optional.empty() : Optional.of(password);
        }
        return Optional.empty();
    }

    /** The header value a client sends: {@code Bearer TOKEN}. */
    public static String bearer(String token) {
        return "Bearer " + token;
    }
}
