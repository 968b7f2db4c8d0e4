package dev.layerfs.cli.layerfs;

import dev.layerfs.mount.MountTable;
import dev.layerfs.mount.RunFiles;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * The mount(8) helper {@code mount.fuse.layerfs}, run as mount(8) runs it (SOURCE MOUNTPOINT -o
 * OPTIONS), with the real launcher behind it: fuse-overlayfs style and fstab options mount.
 */
@Timeout(90)
class MountHelperTest {

    private static final Path HELPER = Path.of("src/main/dist/mount.fuse.layerfs");

    @TempDir
    Path tmp;
    Path up;
    Path base;
    Path mnt;
    Path launcher;

    @BeforeEach
    void branches() throws Exception {
        Assumptions.assumeTrue(Files.exists(Path.of("/dev/fuse")),
                "SKIPPED: /dev/fuse is absent, so no FUSE mount can be made on this machine");
        up = Files.createDirectories(tmp.resolve("up"));
        base = Files.createDirectories(tmp.resolve("base"));
        mnt = Files.createDirectories(tmp.resolve("mnt")).toRealPath();
        Files.writeString(base.resolve("hello"), "from base\n");
        launcher = tmp.resolve("layerfs");
        StringBuilder sh = new StringBuilder("#!/bin/sh\nexec");
        for (String part : LayerfsProcess.command()) {
            sh.append(" '").append(part).append('\'');
        }
        Files.writeString(launcher, sh.append(" \"$@\"\n").toString());
        Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    @AfterEach
    void cleanUp() throws Exception {
        if (MountTable.isMounted(mnt)) {
            new ProcessBuilder("fusermount", "-u", "-z", mnt.toString()).inheritIO().start().waitFor();
        }
        Files.deleteIfExists(RunFiles.log(mnt));
    }

    private int helper(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("sh", HELPER.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("LAYERFS_BIN", launcher.toString());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int exit = p.waitFor();
        System.out.println(out);
        return exit;
    }

    @Test
    void fuseOverlayfsStyleOptionsFromFstabMountTheUnion() throws Exception {
        Path work = Files.createDirectories(tmp.resolve("work"));
        assertEquals(0, helper("none", mnt.toString(), "-o",
                "rw,nofail,lowerdir=" + base + ",upperdir=" + up + ",workdir=" + work + ",x-systemd.after=x"));
        assertEquals(Optional.of("fuse.layerfs"), MountTable.typeAt(mnt));
        Files.writeString(mnt.resolve("hello"), "changed\n");
        assertEquals("changed\n", Files.readString(up.resolve("hello")));
        assertEquals("from base\n", Files.readString(base.resolve("hello")));
        assertEquals(List.of(), List.of(work.toFile().list()), "workdir is accepted and left alone");
    }

    @Test
    void theSourceIsTheBranchListWhenNoOptionNamesBranches() throws Exception {
        assertEquals(0, helper(up + "=rw:" + base + "=ro", mnt.toString(), "-o", "defaults"));
        assertEquals("from base\n", Files.readString(mnt.resolve("hello")));
    }

    @Test
    void aFakeMountChecksAndMountsNothing() throws Exception {
        assertEquals(0, helper("none", mnt.toString(), "-f", "-o", "dirs=" + up + ":" + base));
        assertFalse(MountTable.isMounted(mnt));
    }
}
