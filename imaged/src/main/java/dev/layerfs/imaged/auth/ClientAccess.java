package dev.layerfs.imaged.auth;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.SSLContext;

/**
 * What a registry client presents and trusts: the token it sends as {@code Authorization: Bearer},
 * and, for an HTTPS registry whose certificate is not in the JVM's trust store, the certificates
 * to trust instead.
 */
public record ClientAccess(Optional<String> token, Optional<SSLContext> tls) {

    public static final ClientAccess NONE = new ClientAccess(Optional.empty(), Optional.empty());

    public static final String TOKEN_ENV = "IMAGED_TOKEN";
    public static final String CA_FILE_ENV = "IMAGED_CA_FILE";

    /**
     * From a client's {@code --token-file} (its first token) and {@code --ca-file} (PEM), each
     * falling back to the environment ({@code IMAGED_TOKEN}, {@code IMAGED_CA_FILE}).
     */
    public static ClientAccess from(Optional<Path> tokenFile, Optional<Path> caFile, Map<String, String> env) {
        Optional<String> token = tokenFile.map(f -> TokenSet.load(f, "--token-file").first())
                .or(() -> Optional.ofNullable(env.get(TOKEN_ENV)).map(String::strip).filter(t -> !t.isEmpty()));
        Optional<Path> ca = caFile.or(() -> Optional.ofNullable(env.get(CA_FILE_ENV)).filter(s -> !s.isBlank()).map(Path::of));
        String caOption = caFile.isPresent() ? "--ca-file" : CA_FILE_ENV;
        return new ClientAccess(token, ca.map(f -> Pem.trusting(List.of(f), caOption)));
    }
}
