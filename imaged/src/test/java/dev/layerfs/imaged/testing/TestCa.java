package dev.layerfs.imaged.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A private certificate authority made with openssl, as an operator would make one for a
 * cluster's Raft mutual TLS, and node certificates it issues (EC P-256, subjectAltName
 * IP:127.0.0.1, usable as TLS server and client).
 */
public record TestCa(Path dir, Path cert, Path key) {

    /** A node's certificate and key, issued by {@link #ca()}. */
    public record Issued(Path cert, Path key, TestCa ca) {
    }

    public static TestCa create(Path dir, String name) throws IOException, InterruptedException {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/openssl")), "SKIPPED LOUDLY: openssl is not installed; cannot make a test CA");
        Files.createDirectories(dir);
        TestCa ca = new TestCa(dir, dir.resolve(name + "-ca.pem"), dir.resolve(name + "-ca.key"));
        openssl(dir, List.of("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
                "-subj", "/CN=" + name + " Raft CA", "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign", "-keyout", ca.key.toString(), "-out", ca.cert.toString()));
        return ca;
    }

    public Issued issue(String node) throws IOException, InterruptedException {
        Path key = dir.resolve(node + ".key");
        Path csr = dir.resolve(node + ".csr");
        Path issued = dir.resolve(node + ".pem");
        Path ext = Files.writeString(dir.resolve(node + ".ext"),
                "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n");
        openssl(dir, List.of("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-subj", "/CN=" + node, "-keyout", key.toString(), "-out", csr.toString()));
        openssl(dir, List.of("x509", "-req", "-in", csr.toString(), "-CA", this.cert.toString(),
                "-CAkey", this.key.toString(), "-CAcreateserial", "-days", "2", "-extfile", ext.toString(), "-out", issued.toString()));
        return new Issued(issued, key, this);
    }

    /** This CA's certificate, what {@code --raft-tls-ca} names. */
    public Path ca() {
        return cert;
    }

    private static void openssl(Path dir, List<String> args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add("openssl");
        cmd.addAll(args);
        Path log = dir.resolve("openssl.log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException("openssl " + String.join(" ", args) + " failed: " + Files.readString(log));
        }
    }
}
