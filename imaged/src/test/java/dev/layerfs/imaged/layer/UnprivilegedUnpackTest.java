package dev.layerfs.imaged.layer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Unpacking as an ordinary user (nobody, through setpriv in a separate JVM): owners cannot be
 * given away, so files belong to the user; device nodes cannot be made, so a layer holding one
 * is refused rather than silently changed.
 */
@Timeout(120)
class UnprivilegedUnpackTest {

    private static final int NOBODY = 65534;

    @TempDir
    Path tmp;
    Path shared;

    @BeforeEach
    void needsRootToBecomeNobody() throws IOException {
        assumeTrue(NativeFs.isRoot() && Commands.available("setpriv"),
                "SKIPPED LOUDLY: needs root and setpriv to run the unpacker as user nobody");
        shared = Files.createDirectories(tmp.resolve("shared"));
        Commands.run("chmod", "0755", tmp.toString());
        Commands.run("chown", NOBODY + ":" + NOBODY, shared.toString());
    }

    @Test
    void asAnOrdinaryUserFilesAreOwnedByThatUserWithModesTimesAndUserXattrsKept() throws Exception {
        Path source = tmp.resolve("source");
        SampleTree.write(source.resolve("etc/conf"), "x=1\n");
        SampleTree.write(source.resolve("bin/run"), "#!/bin/sh\n");
        Commands.run("chown", "-R", "1000:1000", source.toString());
        Commands.run("chmod", "0750", source.resolve("bin/run").toString());
        Commands.run("setfattr", "-n", "user.origin", "-v", "layer", source.resolve("etc/conf").toString());
        Commands.run("touch", "-d", "2005-05-05 05:05:05", source.resolve("etc/conf").toString());
        Path layer = new LayerPacker().pack(source, shared.resolve("layer.tar.gz")).file();

        assertEquals("ok", asNobody(layer, shared.resolve("out")));

        Path conf = shared.resolve("out/etc/conf");
        assertEquals(NOBODY, Files.getAttribute(conf, "unix:uid"), "owners cannot be given away, so the user owns it");
        assertEquals(0750, (Integer) Files.getAttribute(shared.resolve("out/bin/run"), "unix:mode") & 07777);
        assertEquals("user.origin=\"layer\"", Commands.run("getfattr", "-n", "user.origin", "--absolute-names", conf.toString()).lines()
                .filter(l -> l.startsWith("user.")).findFirst().orElse(""));
        assertEquals(TreeSnapshot.of(source).get("etc/conf").replaceAll("uid=\\d+ gid=\\d+ ", ""),
                TreeSnapshot.of(shared.resolve("out")).get("etc/conf").replaceAll("uid=\\d+ gid=\\d+ ", ""));
    }

    @Test
    void asAnOrdinaryUserADeviceNodeIsRefusedAndNothingIsLeft() throws Exception {
        Path source = tmp.resolve("source");
        SampleTree.write(source.resolve("etc/conf"), "x\n");
        Files.createDirectories(source.resolve("dev"));
        Commands.run("mknod", source.resolve("dev/null").toString(), "c", "1", "3");
        Path layer = new LayerPacker().pack(source, shared.resolve("layer.tar.gz")).file();

        String result = asNobody(layer, shared.resolve("out"));

        assertTrue(result.startsWith("refused dev/null: ") && result.contains("root"), result);
        assertFalse(Files.exists(shared.resolve("out")));
        try (Stream<Path> left = Files.list(shared)) {
            assertEquals(List.of("layer.tar.gz"), left.map(p -> p.getFileName().toString()).toList());
        }
    }

    /** Runs UnpackMain as nobody, with a world-readable copy of the test class path. */
    private String asNobody(Path archive, Path target) throws IOException, InterruptedException {
        Path cpDir = Files.createDirectories(tmp.resolve("cp"));
        List<String> cp = new ArrayList<>();
        String testCp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        int i = 0;
        for (String entry : testCp.split(java.io.File.pathSeparator)) {
            Path from = Path.of(entry);
            if (!Files.exists(from)) {
                continue;
            }
            Path to = cpDir.resolve(i++ + "-" + from.getFileName());
            if (!Files.exists(to)) {
                Commands.run("cp", "-r", from.toString(), to.toString());
            }
            cp.add(to.toString());
        }
        Commands.run("chmod", "-R", "a+rX", cpDir.toString());
        Process p = new ProcessBuilder("setpriv", "--reuid=" + NOBODY, "--regid=" + NOBODY, "--clear-groups",
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xshare:off", "-Djava.io.tmpdir=" + shared,
                "-cp", String.join(":", cp), UnpackMain.class.getName(), archive.toString(), target.toString())
                .redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out;
        try (InputStream in = p.getInputStream()) {
            out = new String(in.readAllBytes());
        }
        assertEquals(0, p.waitFor(), out);
        return out.lines().reduce((a, b) -> b).orElse("").strip();
    }
}
