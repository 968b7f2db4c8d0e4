package dev.layerfs.imaged.auth;

import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;

/**
 * Mutual TLS for the Raft transport: this node's certificate and key, which it presents both as a
 * server and as a client, and the CA that every peer's certificate must chain to. A node, Raft
 * client or admin client without a certificate from that CA gets no TLS session, so it can neither
 * vote, append, nor propose.
 *
 * <p>Everything is read and checked when loaded: each file readable and PEM, the key belongs to
 * the certificate, and the certificate itself chains to the CA (a node that would be refused by
 * its peers is refused at start, not after a silent election timeout).
 */
public record RaftTls(Path cert, Path key, Path ca, KeyManager keyManager, TrustManager trustManager) {

    public static final String CERT_OPTION = "--raft-tls-cert";
    public static final String KEY_OPTION = "--raft-tls-key";
    public static final String CA_OPTION = "--raft-tls-ca";

    /** All three files, or none (plain Raft); anything in between is an error naming what is missing. */
    public static Optional<RaftTls> fromFiles(Optional<Path> cert, Optional<Path> key, Optional<Path> ca) {
        if (cert.isEmpty() && key.isEmpty() && ca.isEmpty()) {
            return Optional.empty();
        }
        List<String> missing = new ArrayList<>();
        if (cert.isEmpty()) {
            missing.add(CERT_OPTION);
        }
        if (key.isEmpty()) {
            missing.add(KEY_OPTION);
        }
        if (ca.isEmpty()) {
            missing.add(CA_OPTION);
        }
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException(CERT_OPTION + ", " + KEY_OPTION + " and " + CA_OPTION
                    + " go together (Raft mutual TLS needs all three PEM files); missing " + String.join(", ", missing));
        }
        return Optional.of(load(cert.get(), key.get(), ca.get()));
    }

    public static RaftTls load(Path cert, Path key, Path ca) {
        char[] password = new char[0];
        KeyStore keys = Pem.keyStore(cert, CERT_OPTION, key, KEY_OPTION, password);
        List<X509Certificate> authorities = Pem.certificates(ca, CA_OPTION);
        checkChainsTo(Pem.certificates(cert, CERT_OPTION), cert, authorities, ca);
        try {
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keys, password);
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            for (int i = 0; i < authorities.size(); i++) {
                trust.setCertificateEntry("raft-ca-" + i, authorities.get(i));
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
            tmf.init(trust);
            return new RaftTls(cert, key, ca, kmf.getKeyManagers()[0], tmf.getTrustManagers()[0]);
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot set up Raft TLS from " + cert + ", " + key + " and " + ca, e);
        }
    }

    /** Refuses a certificate its peers would refuse: not issued by the CA, expired, or not yet valid. */
    private static void checkChainsTo(List<X509Certificate> chain, Path cert, List<X509Certificate> authorities, Path ca) {
        Set<TrustAnchor> anchors = new HashSet<>();
        authorities.forEach(a -> anchors.add(new TrustAnchor(a, null)));
        // A path to validate holds no anchor: drop the CA itself when the chain file includes it
        // (and a certificate that is its own CA leaves nothing to validate but its dates).
        List<X509Certificate> path = new ArrayList<>(chain);
        path.removeIf(authorities::contains);
        try {
            for (X509Certificate c : chain) {
                c.checkValidity();
            }
            if (path.isEmpty()) {
                return;
            }
            PKIXParameters params = new PKIXParameters(anchors);
            params.setRevocationEnabled(false);
            CertPathValidator.getInstance("PKIX").validate(CertificateFactory.getInstance("X.509").generateCertPath(path), params);
        } catch (CertPathValidatorException e) {
            throw new IllegalArgumentException(CERT_OPTION + " " + cert + " does not chain to a certificate in " + CA_OPTION
                    + " " + ca + " (" + e.getMessage() + "); its peers would refuse it");
        } catch (CertificateExpiredException | CertificateNotYetValidException e) {
            throw new IllegalArgumentException(CERT_OPTION + " " + cert + " is not valid now: " + e.getMessage());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot check " + cert + " against " + ca, e);
        }
    }
}
