package dev.layerfs.mount;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FstabOptionsTest {

    @TempDir
    Path tmp;

    @Test
    void overlayStyleBranchesBecomeDirsWithTheUpperDirectoryOnTop() throws Exception {
        for (String d : List.of("u", "a", "b", "w")) {
            Files.createDirectories(tmp.resolve(d));
        }
        MountOptions o = MountOptions.parse(List.of("lowerdir=" + tmp.resolve("a") + ":" + tmp.resolve("b")
                + ",upperdir=" + tmp.resolve("u") + ",workdir=" + tmp.resolve("w") + ",suid"), tmp);
        assertEquals(tmp.resolve("u") + "=rw:" + tmp.resolve("a") + "=ro:" + tmp.resolve("b") + "=ro", o.branches().spec());
        assertEquals(List.of("suid"), o.passThrough(), "workdir is accepted, not passed to FUSE");
    }

    @Test
    void withoutAnUpperDirectoryTheUnionIsReadOnly() {
        assertEquals(List.of("dirs=/a=ro:/b=ro"), FstabOptions.normalize(List.of("lowerdir=/a:/b")));
    }

    @Test
    void optionsMeantForMountAndSystemdAreDropped() {
        assertEquals(List.of("dirs=/u=rw:/b=ro,dev"), FstabOptions.normalize(
                List.of("rw,defaults,noauto,nofail,_netdev,x-systemd.requires=/srv,comment=x", "dirs=/u=rw:/b=ro,dev")));
    }

    @Test
    void branchesGivenTwoWaysOrHalfGivenAreRefusedByName() {
        var both = assertThrows(MountException.class, () -> FstabOptions.normalize(List.of("dirs=/u:/b,lowerdir=/b")));
        assertTrue(both.getMessage().contains("not both"), both.getMessage());
        var upperOnly = assertThrows(MountException.class, () -> FstabOptions.normalize(List.of("upperdir=/u")));
        assertTrue(upperOnly.getMessage().contains("/u"), upperOnly.getMessage());
        var empty = assertThrows(MountException.class, () -> FstabOptions.normalize(List.of("lowerdir=/a::/b")));
        assertTrue(empty.getMessage().contains("lowerdir=/a::/b"), empty.getMessage());
    }

    @Test
    void udbaRevalShortensEveryCacheTimeoutUnlessOneIsGiven() throws Exception {
        Files.createDirectories(tmp.resolve("u"));
        MountOptions o = MountOptions.parse(List.of("dirs=" + tmp.resolve("u") + ",udba=reval,entry_timeout=5"), tmp);
        assertEquals(5.0, o.entryTimeout());
        assertEquals(MountOptions.REVAL_TIMEOUT, o.attrTimeout());
        assertEquals(MountOptions.REVAL_TIMEOUT, o.negativeTimeout());
        MountOptions none = MountOptions.parse(List.of("dirs=" + tmp.resolve("u") + ",udba=none"), tmp);
        assertEquals(MountOptions.DEFAULT_ENTRY_TIMEOUT, none.entryTimeout());
    }

    @Test
    void unknownUdbaOrStatfsValuesAreRefusedByName() throws Exception {
        Files.createDirectories(tmp.resolve("u"));
        var udba = assertThrows(MountException.class,
                () -> MountOptions.parse(List.of("dirs=" + tmp.resolve("u") + ",udba=notify"), tmp));
        assertTrue(udba.getMessage().contains("udba=notify"), udba.getMessage());
        var statfs = assertThrows(MountException.class,
                () -> MountOptions.parse(List.of("dirs=" + tmp.resolve("u") + ",statfs=avg"), tmp));
        assertTrue(statfs.getMessage().contains("statfs=avg"), statfs.getMessage());
        assertEquals(dev.layerfs.union.StatfsMode.SUM,
                MountOptions.parse(List.of("dirs=" + tmp.resolve("u") + ",statfs=sum"), tmp).statfs());
    }
}
