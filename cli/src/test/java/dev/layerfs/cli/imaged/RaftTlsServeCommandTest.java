package dev.layerfs.cli.imaged;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.layerfs.cli.UserError;
import dev.layerfs.imaged.testing.FreePorts;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code imaged serve --raft-tls-cert/--raft-tls-key/--raft-tls-ca}: a node with Raft mutual TLS
 * starts and its own Raft client (presenting its certificate) writes through it; bad files stop
 * the node before it starts, with one line naming the file.
 */
class RaftTlsServeCommandTest {

    @TempDir
    Path dir;

    /** A self-signed certificate for 127.0.0.1: its own CA, as a one-node cluster may use. */
    private Path[] selfSigned(String name) throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/openssl")), "SKIPPED LOUDLY: openssl is not installed");
        Path cert = dir.resolve(name + ".pem");
        Path key = dir.resolve(name + ".key");
        Process p = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                "-keyout", key.toString(), "-out", cert.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("openssl.log").toFile()).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, Files.readString(dir.resolve("openssl.log")));
        return new Path[] {cert, key};
    }

    private static int freePort() {
        return FreePorts.next();
    }

    private Process launch(Path log, List<String> args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"),
                "dev.layerfs.cli.ImagedCli", "serve"));
        cmd.addAll(args);
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    private static UserError refused(String... args) {
        ServeCommand serve = new ServeCommand();
        new CommandLine(serve).parseArgs(args);
        return assertThrows(UserError.class, serve::security);
    }

    @Test
    @Timeout(60)
    void missingOrUnreadableFilesAreRefusedNamingThem() throws Exception {
        Path[] a = selfSigned("a");
        assertEquals("--raft-tls-cert, --raft-tls-key and --raft-tls-ca go together (Raft mutual TLS needs all three PEM files);"
                + " missing --raft-tls-ca", refused("--raft-tls-cert", a[0].toString(), "--raft-tls-key", a[1].toString()).getMessage());
        Path gone = dir.resolve("gone-ca.pem");
        assertTrue(refused("--raft-tls-cert", a[0].toString(), "--raft-tls-key", a[1].toString(), "--raft-tls-ca", gone.toString())
                .getMessage().startsWith("--raft-tls-ca " + gone + " cannot be read"));
    }

    @Test
    @Timeout(90)
    void aKeyThatIsNotTheCertificatesStopsTheNodeBeforeItStarts() throws Exception {
        Path[] a = selfSigned("a");
        Path[] b = selfSigned("b");
        Path data = dir.resolve("data");
        Path log = dir.resolve("bad.log");
        Process p = launch(log, List.of("--id", "n1", "--peers", "n1=127.0.0.1:" + freePort(), "--data", data.toString(),
                "--raft-tls-cert", a[0].toString(), "--raft-tls-key", b[1].toString(), "--raft-tls-ca", a[0].toString()));
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "serve did not exit");
        String out = Files.readString(log, StandardCharsets.UTF_8).trim();
        assertEquals(2, p.exitValue(), out);
        assertEquals("imaged: --raft-tls-key " + b[1] + " does not belong to the certificate in --raft-tls-cert " + a[0], out);
        assertFalse(Files.exists(data), "nothing was created");
    }

    @Test
    @Timeout(150)
    void aNodeWithRaftMutualTlsWritesThroughItsOwnRaftClient() throws Exception {
        Path[] a = selfSigned("node");
        int http = freePort();
        Path log = dir.resolve("serve.log");
        Process p = launch(log, List.of("--id", "n1", "--peers", "n1=127.0.0.1:" + freePort(), "--listen", "127.0.0.1:" + http,
                "--data", dir.resolve("data").toString(),
                "--raft-tls-cert", a[0].toString(), "--raft-tls-key", a[1].toString(), "--raft-tls-ca", a[0].toString()));
        try {
            Instant deadline = Instant.now().plusSeconds(120);
            while (!Files.readString(log).contains("node n1: registered HTTP address") && Instant.now().isBefore(deadline)) {
                assertTrue(p.isAlive(), Files.readString(log));
                Thread.sleep(300);
            }
            String out = Files.readString(log);
            assertTrue(out.contains("node n1: registered HTTP address 127.0.0.1:" + http), "a Raft write committed over mutual TLS: " + out);
            assertTrue(out.contains("transport mutual TLS (certificate " + a[0]), out);
        } finally {
            p.destroy();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }
}
