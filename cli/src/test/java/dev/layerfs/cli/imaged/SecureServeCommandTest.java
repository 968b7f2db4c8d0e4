package dev.layerfs.cli.imaged;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.layerfs.imaged.auth.Pem;
import dev.layerfs.imaged.testing.FreePorts;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code imaged serve} with a token file, token-checked pulls and TLS, and the push and pull
 * commands against it as a user runs them: separate JVMs, the token from a file or $IMAGED_TOKEN,
 * the server's self-signed certificate from --ca-file or $IMAGED_CA_FILE.
 */
class SecureServeCommandTest {

    static final String TOKEN = "cli-test-token-0123456789abcdef";

    @TempDir
    Path dir;

    record Run(int exit, List<String> stdout, String stderr) {
    }

    private static List<String> java() {
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        return new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp", cp, "dev.layerfs.cli.ImagedCli"));
    }

    private static Run imaged(Map<String, String> env, String... args) throws IOException, InterruptedException {
        List<String> cmd = java();
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().remove("IMAGED_TOKEN");
        pb.environment().remove("IMAGED_CA_FILE");
        pb.environment().putAll(env);
        Process p = pb.start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(90, TimeUnit.SECONDS));
        return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8).lines().toList(), err);
    }

    private Path[] certificate() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/openssl")), "SKIPPED LOUDLY: openssl is not installed");
        Path cert = dir.resolve("cert.pem");
        Path key = dir.resolve("key.pem");
        Process p = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key.toString(), "-out", cert.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("openssl.log").toFile()).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, Files.readString(dir.resolve("openssl.log")));
        return new Path[] {cert, key};
    }

    @Test
    @Timeout(240)
    void pushAndPullNeedTheTokenAndTrustTheServersCertificate() throws Exception {
        Path[] tls = certificate();
        Path tokenFile = Files.writeString(dir.resolve("token"), TOKEN + "\n");
        int port = FreePorts.next();
        List<String> serve = java();
        serve.addAll(List.of("serve", "--listen", "127.0.0.1:" + port, "--data", dir.resolve("data").toString(),
                "--token-file", tokenFile.toString(), "--auth-pulls", "--tls-cert", tls[0].toString(), "--tls-key", tls[1].toString()));
        Process server = new ProcessBuilder(serve).redirectErrorStream(true).redirectOutput(dir.resolve("serve.log").toFile()).start();
        try {
            String url = "https://127.0.0.1:" + port;
            awaitHttps(url, tls[0]);
            Path src = Files.createDirectories(dir.resolve("src/etc"));
            Files.writeString(src.resolve("motd"), "secured\n");
            String source = dir.resolve("src").toString();

            Run anonymous = imaged(Map.of(), "push", "--server", url, "--ca-file", tls[0].toString(), source, "sec/app:1");
            assertEquals(2, anonymous.exit(), anonymous.stderr());
            assertEquals(1, anonymous.stderr().lines().count(), anonymous.stderr());
            assertTrue(anonymous.stderr().contains("refused access (UNAUTHORIZED)"), anonymous.stderr());

            Run untrusted = imaged(Map.of(), "push", "--server", url, "--token-file", tokenFile.toString(), source, "sec/app:1");
            assertTrue(untrusted.exit() != 0, "a certificate the client does not trust is refused");

            Run push = imaged(Map.of(), "push", "--server", url, "--token-file", tokenFile.toString(),
                    "--ca-file", tls[0].toString(), source, "sec/app:1");
            assertEquals(0, push.exit(), push.stderr());

            Path store = dir.resolve("store");
            Run refusedPull = imaged(Map.of("IMAGED_CA_FILE", tls[0].toString()), "pull", "--server", url,
                    "--store", store.toString(), "sec/app:1");
            assertEquals(2, refusedPull.exit(), "--auth-pulls: no anonymous pull: " + refusedPull.stderr());

            Run pull = imaged(Map.of("IMAGED_TOKEN", TOKEN, "IMAGED_CA_FILE", tls[0].toString()), "pull", "--server", url,
                    "--store", store.toString(), "sec/app:1");
            assertEquals(0, pull.exit(), pull.stderr());
            Path layer = Path.of(pull.stdout().get(pull.stdout().size() - 1).replace("=ro", ""));
            assertEquals("secured\n", Files.readString(layer.resolve("etc/motd")));
        } finally {
            server.destroy();
            if (!server.waitFor(30, TimeUnit.SECONDS)) {
                server.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
        String log = Files.readString(dir.resolve("serve.log"));
        assertTrue(log.contains("registry API on https://127.0.0.1:" + port), log);
    }

    @Test
    @Timeout(120)
    void helpListsTheAccessOptionsAndMistakesAreOneLine() throws Exception {
        Run help = imaged(Map.of(), "serve", "--help");
        String text = String.join("\n", help.stdout());
        for (String option : List.of("--token-file", "--auth-pulls", "--cluster-token-file", "--tls-cert", "--tls-key", "--peer-ca-file")) {
            assertTrue(text.contains(option), option + " in:\n" + text);
        }
        Run noTokens = imaged(Map.of(), "serve", "--auth-pulls", "--data", dir.resolve("d").toString());
        assertEquals(2, noTokens.exit(), noTokens.stderr());
        assertEquals("imaged: --auth-pulls needs --token-file (the tokens pulls must present)", noTokens.stderr().strip());
        Path weak = Files.writeString(dir.resolve("weak"), "secret\n");
        Run weakToken = imaged(Map.of(), "serve", "--token-file", weak.toString(), "--data", dir.resolve("d").toString());
        assertEquals(2, weakToken.exit(), weakToken.stderr());
        assertTrue(weakToken.stderr().strip().startsWith("imaged: --token-file " + weak + ": token 1 must be at least 16"),
                weakToken.stderr());
    }

    @Test
    void byDefaultTheApiAndRaftListenOnLoopbackOnlyWithNothingRequired() {
        ServeCommand serve = new ServeCommand();
        new picocli.CommandLine(serve).parseArgs("--data", dir.resolve("d").toString());
        dev.layerfs.imaged.server.ServerConfig config = serve.config();
        assertEquals("127.0.0.1", config.listen().getHostString());
        assertEquals("127.0.0.1", config.cluster().selfAddress().getHostString());
        assertTrue(serve.security().policy().isOpen(), "no token is needed on a loopback-only default");
        assertTrue(serve.security().tls().isEmpty());
    }

    private static void awaitHttps(String url, Path cert) throws Exception {
        HttpClient http = HttpClient.newBuilder().sslContext(Pem.trusting(List.of(cert), "test")).build();
        Instant deadline = Instant.now().plusSeconds(120);
        while (Instant.now().isBefore(deadline)) {
            try {
                int status = http.send(HttpRequest.newBuilder(URI.create(url + "/v2/")).header("Authorization", "Bearer " + TOKEN).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode();
                if (status == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // still starting
            }
            Thread.sleep(300);
        }
        throw new AssertionError("imaged serve did not answer on " + url);
    }
}
