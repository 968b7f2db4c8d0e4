package dev.layerfs.mount;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MountOptionsTest {

    @TempDir
    Path tmp;

    private MountOptions parse(String... lists) throws Exception {
        Files.createDirectories(tmp.resolve("up"));
        Files.createDirectories(tmp.resolve("base"));
        return MountOptions.parse(List.of(lists), tmp);
    }

    @Test
    void fuseArgumentsAskForInodesLargeRequestsAndCaches() throws Exception {
        // libfuse's arguments: the jnr-fuse engine's (the wire engine's default attr_timeout is 60)
        String o = String.join(" ", parse("dirs=up:base,engine=jnr-fuse").fuseArgs(false));
        for (String want : List.of("use_ino", "big_writes", "max_read=131072", "max_write=131072", "auto_cache",
                "entry_timeout=60.0", "attr_timeout=1.0", "negative_timeout=60.0")) {
            assertTrue(o.contains(want), want + " in " + o);
        }
        assertFalse(o.contains("allow_other"));
        assertFalse(o.contains(" -s"), "multithreaded dispatch");
    }

    @Test
    void rootSharesTheMountAndLetsTheKernelCheckPermissions() throws Exception {
        String o = String.join(" ", parse("dirs=up:base").fuseArgs(true));
        assertTrue(o.contains("allow_other") && o.contains("default_permissions"), o);
    }

    @Test
    void timeoutsAreConfigurableAndOtherOptionsPassThrough() throws Exception {
        MountOptions m = parse("dirs=up:base,suid,dev", "attr_timeout=30,entry_timeout=0.5");
        assertEquals(30, m.attrTimeout());
        assertEquals(0.5, m.entryTimeout());
        assertEquals(List.of("suid", "dev"), m.passThrough());
        assertEquals(m, MountOptions.parse(List.of(m.toOptionString()), Path.of("/")));
    }

    @Test
    void badTimeoutAndMissingDirsAreNamed() throws Exception {
        var e = assertThrows(MountException.class, () -> parse("dirs=up", "attr_timeout=soon"));
        assertTrue(e.getMessage().contains("attr_timeout=soon"), e.getMessage());
        var e2 = assertThrows(MountException.class, () -> parse("suid"));
        assertTrue(e2.getMessage().contains("dirs="), e2.getMessage());
    }

    @Test
    void createAndCopyUpPoliciesAreParsedAndSurviveTheDaemonsOptionString() throws Exception {
        MountOptions m = parse("dirs=up=rw:base=rw,create=mfsrr:1g,cpup=bup");
        assertEquals("mfsrr:1073741824", m.create());
        assertEquals("bup", m.cpup());
        assertEquals(m, MountOptions.parse(List.of(m.toOptionString()), Path.of("/")));
        assertEquals("tdp", parse("dirs=up").create(), "top-down-parent by default");
        assertFalse(parse("dirs=up").toOptionString().contains("create="), "defaults are not spelled out");
    }

    @Test
    void badPolicyValuesAreNamed() throws Exception {
        var e = assertThrows(MountException.class, () -> parse("dirs=up", "create=fastest"));
        assertTrue(e.getMessage().contains("create=fastest"), e.getMessage());
        var e2 = assertThrows(MountException.class, () -> parse("dirs=up,cpup=mfs"));
        assertTrue(e2.getMessage().contains("cpup=mfs"), e2.getMessage());
    }

    @Test
    void mountinfoEscapesAreDecoded() {
        assertEquals("/mnt/a b\\c", MountTable.unescape("/mnt/a\\040b\\134c"));
    }

    @Test
    void runFilesAreNamedAfterTheEscapedMountpoint() {
        assertEquals("srv-ct-rootfs", RunFiles.escape(Path.of("/srv/ct/rootfs")));
        assertEquals("-", RunFiles.escape(Path.of("/")));
        assertEquals("a\\x20b", RunFiles.escape(Path.of("/a b")));
    }

    @Test
    void theControlSocketFitsASocketAddressHoweverDeepTheMountpoint() {
        assertEquals("srv-ct-rootfs.sock", RunFiles.control(Path.of("/srv/ct/rootfs")).getFileName().toString());
        Path deep = Path.of("/srv/" + "very-long-directory-name/".repeat(6) + "rootfs");
        Path deep2 = Path.of("/srv/" + "very-long-directory-name/".repeat(6) + "rootfs2");
        Path socket = RunFiles.control(deep);
        assertTrue(socket.toString().length() <= 107, socket.toString());
        assertEquals(socket, RunFiles.control(deep), "the same mountpoint, the same socket");
        assertNotEquals(socket, RunFiles.control(deep2));
    }

    @Test
    void daemonFailureIsRelayedAsOneLineWithLibfuseComplaintsFirst() throws Exception {
        Path log = tmp.resolve("d.log");
        Files.writeString(log, "old run\n");
        long from = Files.size(log);
        Files.writeString(log, "old run\n[main] INFO mounting\nfuse: unknown option `x'\nlayerfs: libfuse could not mount /m\n");
        assertEquals("fuse: unknown option `x' (libfuse could not mount /m)", Daemon.lastLine(log, from).orElseThrow());
    }
}
