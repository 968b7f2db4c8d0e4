package dev.layerfs.cli.layerfs;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarFile;
import java.util.jar.Manifest;

/** Runs the real launcher main class in its own JVM, as the installed {@code layerfs} does. */
final class LayerfsProcess {

    record Result(int exit, String stdout, String stderr) {
    }

    private LayerfsProcess() {
    }

    /**
     * The test class path spelled out. Surefire may hide it in a manifest-only jar that is
     * deleted when the tests end, while a daemon started from it lives on.
     */
    static String classPath() throws IOException {
        String cp = System.getProperty("java.class.path");
        String[] parts = cp.split(File.pathSeparator);
        if (parts.length != 1 || !parts[0].endsWith(".jar")) {
            return cp;
        }
        try (JarFile jar = new JarFile(parts[0])) {
            Manifest mf = jar.getManifest();
            String entries = mf == null ? null : mf.getMainAttributes().getValue("Class-Path");
            if (entries == null) {
                return cp;
            }
            List<String> out = new ArrayList<>();
            for (String e : entries.trim().split("\\s+")) {
                out.add(e.startsWith("file:") ? Path.of(URI.create(e)).toString() : e);
            }
            return String.join(File.pathSeparator, out);
        }
    }

    static List<String> command(String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", classPath(), "dev.layerfs.cli.LayerfsCli"));
        cmd.addAll(List.of(args));
        return cmd;
    }

    static Result run(String... args) throws Exception {
        Path out = Files.createTempFile("layerfs-out", ".txt");
        Path err = Files.createTempFile("layerfs-err", ".txt");
        try {
            Process p = new ProcessBuilder(command(args))
                    .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            int exit = p.waitFor();
            return new Result(exit, Files.readString(out, StandardCharsets.UTF_8).strip(),
                    Files.readString(err, StandardCharsets.UTF_8).strip());
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }
}
