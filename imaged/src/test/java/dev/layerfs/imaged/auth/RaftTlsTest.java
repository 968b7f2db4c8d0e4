package dev.layerfs.imaged.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.layerfs.imaged.testing.TestCa;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(120)
class RaftTlsTest {

    @TempDir
    static Path dir;
    static TestCa cluster;
    static TestCa other;
    static TestCa.Issued n1;
    static TestCa.Issued n2;
    static TestCa.Issued stranger;

    @BeforeAll
    static void certificates() throws Exception {
        cluster = TestCa.create(dir.resolve("cluster"), "cluster");
        other = TestCa.create(dir.resolve("other"), "other");
        n1 = cluster.issue("n1");
        n2 = cluster.issue("n2");
        stranger = other.issue("stranger");
    }

    private static IllegalArgumentException refused(Path cert, Path key, Path ca) {
        return assertThrows(IllegalArgumentException.class,
                () -> RaftTls.fromFiles(Optional.ofNullable(cert), Optional.ofNullable(key), Optional.ofNullable(ca)));
    }

    @Test
    void aNodeCertificateIssuedByTheClusterCaLoads() {
        RaftTls tls = RaftTls.fromFiles(Optional.of(n1.cert()), Optional.of(n1.key()), Optional.of(cluster.ca())).orElseThrow();
        assertEquals(n1.cert(), tls.cert());
        assertTrue(RaftTls.fromFiles(Optional.empty(), Optional.empty(), Optional.empty()).isEmpty(), "no options: plain Raft");
    }

    @Test
    void theThreeFilesGoTogetherAndTheErrorNamesWhatIsMissing() {
        assertEquals("--raft-tls-cert, --raft-tls-key and --raft-tls-ca go together (Raft mutual TLS needs all three PEM files);"
                + " missing --raft-tls-ca", refused(n1.cert(), n1.key(), null).getMessage());
        assertTrue(refused(null, null, cluster.ca()).getMessage().endsWith("missing --raft-tls-cert, --raft-tls-key"));
    }

    @Test
    void anUnreadableFileIsRefusedNamingItsOption() {
        Path missing = dir.resolve("no-such-ca.pem");
        assertTrue(refused(n1.cert(), n1.key(), missing).getMessage().startsWith("--raft-tls-ca " + missing + " cannot be read"));
        Path missingKey = dir.resolve("no-such.key");
        assertTrue(refused(n1.cert(), missingKey, cluster.ca()).getMessage().startsWith("--raft-tls-key " + missingKey + " cannot be read"));
        assertTrue(refused(n1.key(), n1.key(), cluster.ca()).getMessage().startsWith("--raft-tls-cert " + n1.key()),
                "a key given as the certificate");
    }

    @Test
    void aKeyOfAnotherNodeIsRefusedNamingBothFiles() {
        assertEquals("--raft-tls-key " + n2.key() + " does not belong to the certificate in --raft-tls-cert " + n1.cert(),
                refused(n1.cert(), n2.key(), cluster.ca()).getMessage());
    }

    @Test
    void aCertificateOfAnotherCaIsRefusedAtStartNotByItsPeersLater() {
        String why = refused(stranger.cert(), stranger.key(), cluster.ca()).getMessage();
        assertTrue(why.startsWith("--raft-tls-cert " + stranger.cert() + " does not chain to a certificate in --raft-tls-ca "
                + cluster.ca()), why);
    }
}
