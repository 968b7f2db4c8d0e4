package dev.layerfs.cli.lxc;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The {@code layerfs} and {@code imaged} launchers for this build, as scripts like the ones
 * install.sh writes but over the test class path, so the hooks run the code under test.
 */
record Launchers(Path layerfs, Path imaged) {

    static Launchers write(Path dir) throws IOException {
        // Surefire may hide the real class path behind a manifest-only jar; it names it here.
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        return new Launchers(
                script(dir.resolve("layerfs"), java, classpath, "dev.layerfs.cli.LayerfsCli"),
                script(dir.resolve("imaged"), java, classpath, "dev.layerfs.cli.ImagedCli"));
    }

    private static Path script(Path file, Path java, String classpath, String mainClass) throws IOException {
        Files.createDirectories(file.getParent());
        // Quick-starting JVMs: every container start and stop runs the launcher from a hook. The mount
        // host reads file names as bytes, as the installed launcher starts it.
        Files.writeString(file, "#!/bin/sh\nEXTRA=\n[ \"${1:-}\" = host ] && [ \"${2:-}\" != status ] && EXTRA=-Dfile.encoding=ISO-8859-1\n"
                + "exec '" + java + "' -XX:TieredStopAtLevel=1 -XX:+UseSerialGC $EXTRA -cp '" + classpath + "' " + mainClass + " \"$@\"\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
        return file;
    }
}
