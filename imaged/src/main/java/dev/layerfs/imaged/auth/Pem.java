package dev.layerfs.imaged.auth;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * PEM files as Java's TLS stack wants them: certificates, a PKCS#8 private key, an in-memory
 * PKCS12 key store from the two (what Jetty serves with), and an SSLContext trusting given
 * certificates (what clients and peer nodes connect with). Errors name the file and the option.
 */
public final class Pem {

    private static final Pattern PRIVATE_KEY = Pattern.compile(
            "-----BEGIN PRIVATE KEY-----([A-Za-z0-9+/=\\s]+)-----END PRIVATE KEY-----");

    private Pem() {
    }

    public static List<X509Certificate> certificates(Path file, String option) {
        byte[] bytes = read(file, option);
        try {
            List<X509Certificate> certs = new ArrayList<>();
            for (var c : CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(bytes))) {
                certs.add((X509Certificate) c);
            }
            if (certs.isEmpty()) {
                throw new IllegalArgumentException(option + " " + file + " holds no certificate");
            }
            return certs;
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException(option + " " + file + " is not a PEM certificate: " + e.getMessage());
        }
    }

    public static PrivateKey privateKey(Path file, String option) {
        String text = new String(read(file, option), StandardCharsets.US_ASCII);
        Matcher m = PRIVATE_KEY.matcher(text);
        if (!m.find()) {
            String hint = text.contains("BEGIN RSA PRIVATE KEY") || text.contains("BEGIN EC PRIVATE KEY")
                    ? " (convert it to PKCS#8: openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY.pk8)"
                    : text.contains("ENCRYPTED") ? " (it is encrypted; give an unencrypted PKCS#8 key)" : "";
            throw new IllegalArgumentException(option + " " + file + " holds no PEM 'PRIVATE KEY' (PKCS#8)" + hint);
        }
        byte[] der = Base64.getMimeDecoder().decode(m.group(1));
        for (String algorithm : List.of("RSA", "EC", "Ed25519", "Ed448")) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (GeneralSecurityException notThisOne) {
                // try the next algorithm
            }
        }
        throw new IllegalArgumentException(option + " " + file + " holds a private key of an unsupported kind (RSA, EC, Ed25519)");
    }

    /**
     * A PKCS12 key store holding {@code key} with the chain from {@code certFile}; refuses a key
     * that does not belong to the chain's first certificate.
     */
    public static KeyStore keyStore(Path certFile, Path keyFile, char[] password) {
        return keyStore(certFile, "--tls-cert", keyFile, "--tls-key", password);
    }

    /** As {@link #keyStore(Path, Path, char[])}, errors naming the given options. */
    public static KeyStore keyStore(Path certFile, String certOption, Path keyFile, String keyOption, char[] password) {
        List<X509Certificate> chain = certificates(certFile, certOption);
        PrivateKey key = privateKey(keyFile, keyOption);
        if (!belongsTo(key, chain.get(0))) {
            throw new IllegalArgumentException(keyOption + " " + keyFile + " does not belong to the certificate in "
                    + certOption + " " + certFile);
        }
        try {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setKeyEntry("imaged", key, password, chain.toArray(new X509Certificate[0]));
            return ks;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot build a key store from " + certFile + " and " + keyFile, e);
        }
    }

    /** A TLS client context that trusts exactly the certificates in {@code pemFiles}. */
    public static SSLContext trusting(List<Path> pemFiles, String option) {
        try {
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            int n = 0;
            for (Path f : pemFiles) {
                for (X509Certificate c : certificates(f, option)) {
                    trust.setCertificateEntry("ca" + n++, c);
                }
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            return ctx;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot build a trust store from " + pemFiles, e);
        }
    }

    private static boolean belongsTo(PrivateKey key, X509Certificate cert) {
        String algorithm = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            default -> key.getAlgorithm(); // Ed25519, Ed448 name their own signature
        };
        try {
            byte[] probe = "imaged key check".getBytes(StandardCharsets.US_ASCII);
            Signature s = Signature.getInstance(algorithm);
            s.initSign(key);
            s.update(probe);
            byte[] signature = s.sign();
            Signature v = Signature.getInstance(algorithm);
            v.initVerify(cert.getPublicKey());
            v.update(probe);
            return v.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    private static byte[] read(Path file, String option) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new IllegalArgumentException(option + " " + file + " cannot be read: " + e.getMessage());
        }
    }
}
