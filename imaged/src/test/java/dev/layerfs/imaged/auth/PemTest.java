package dev.layerfs.imaged.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.layerfs.imaged.testing.TestCertificate;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class PemTest {

    @TempDir
    Path dir;

    @Test
    void opensslCertificateAndKeyBecomeOneKeyStoreEntry() throws Exception {
        TestCertificate c = TestCertificate.create(dir.resolve("a"));
        KeyStore ks = Pem.keyStore(c.cert(), c.key(), "pw".toCharArray());
        assertTrue(ks.isKeyEntry("imaged"));
        assertEquals("CN=127.0.0.1", ((java.security.cert.X509Certificate) ks.getCertificate("imaged")).getSubjectX500Principal().getName());
    }

    @Test
    void aKeyOfAnotherCertificateOrAMissingHalfIsRefusedNamingTheFiles() throws Exception {
        TestCertificate a = TestCertificate.create(dir.resolve("a"));
        TestCertificate b = TestCertificate.create(dir.resolve("b"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ServerSecurity.fromFiles(Optional.empty(), false, Optional.empty(), Optional.of(a.cert()), Optional.of(b.key()), Optional.empty()));
        assertEquals("--tls-key " + b.key() + " does not belong to the certificate in --tls-cert " + a.cert(), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> ServerSecurity.fromFiles(Optional.empty(), false, Optional.empty(), Optional.of(a.cert()), Optional.empty(), Optional.empty()));
        Path notPem = Files.writeString(dir.resolve("junk.pem"), "hello");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Pem.privateKey(notPem, "--tls-key"))
                .getMessage().startsWith("--tls-key " + notPem + " holds no PEM 'PRIVATE KEY'"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Pem.certificates(notPem, "--tls-cert"))
                .getMessage().startsWith("--tls-cert " + notPem));
    }
}
