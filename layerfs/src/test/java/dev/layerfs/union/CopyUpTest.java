package dev.layerfs.union;

import dev.layerfs.testing.Cmd;
import dev.layerfs.testing.LiveUnion;
import dev.layerfs.testing.Tree;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Any change to a file that lives only below copies it up first, with all its metadata. */
@Timeout(60)
class CopyUpTest {

    @TempDir
    Path tmp;
    Path up;
    Path base;
    Map<String, String> baseBefore;
    LiveUnion u;

    @BeforeEach
    void mount() throws Exception {
        up = Tree.dir(tmp, "up");
        base = Tree.dir(tmp, "base");
        Path f = Tree.write(base, "etc/app/config", "original");
        Tree.chmod(f, "rwxr-x---");
        Files.setAttribute(f, "unix:uid", 1234);
        Files.setAttribute(f, "unix:gid", 4321);
        Cmd.ok("setfattr", "-n", "user.color", "-v", "blue", f.toString());
        Files.setLastModifiedTime(f, FileTime.fromMillis(1_000_000_000_000L));
        Path dir = base.resolve("etc/app");
        Tree.chmod(dir, "rwx--x---");
        Files.setAttribute(dir, "unix:uid", 77);
        Cmd.ok("setfattr", "-n", "user.dir", "-v", "d", dir.toString());
        Files.setLastModifiedTime(dir, FileTime.fromMillis(900_000_000_000L));
        Path tool = Tree.write(base, "bin/tool", "#!/bin/sh\n");
        Files.setAttribute(tool, "unix:uid", 1234);
        Files.setAttribute(tool, "unix:mode", 04755);
        Cmd.ok("setfattr", "-n", "security.capability", "-v",
                "0x0100000200100000000000000000000000000000", tool.toString()); // cap_net_bind_service+p
        baseBefore = Tree.describe(base);
        u = LiveUnion.mount(up + "=rw:" + base + "=ro", Tree.dir(tmp, "mnt"));
    }

    @AfterEach
    void unmount() throws Exception {
        if (u != null) {
            u.close();
        }
        assertEquals(baseBefore, Tree.describe(base), "the ro branch must never change");
    }

    private void assertCopiedWithMetadata(String expectedContent) throws Exception {
        Path copy = up.resolve("etc/app/config");
        assertTrue(Files.isRegularFile(copy, LinkOption.NOFOLLOW_LINKS), "copied up into the rw branch");
        assertEquals(expectedContent, Tree.read(copy));
        assertEquals("user.color=\"blue\"", Cmd.ok("getfattr", "--absolute-names", "-d", copy.toString()).lines()
                .filter(l -> l.startsWith("user.")).findFirst().orElse(""));
        assertEquals(1234, Files.getAttribute(copy, "unix:uid"));
        assertEquals(4321, Files.getAttribute(copy, "unix:gid"));
        Path dir = up.resolve("etc/app");
        assertEquals(077 & 0 | 0710, (Integer) Files.getAttribute(dir, "unix:mode") & 07777, "parent directory mode copied");
        assertEquals(77, Files.getAttribute(dir, "unix:uid"));
        assertTrue(Cmd.ok("getfattr", "--absolute-names", "-d", dir.toString()).contains("user.dir=\"d\""));
        assertFalse(Files.list(up.resolve(Names.WORK_DIR)).findAny().isPresent(), "no copy-up leftovers");
    }

    @Test
    void writingALowerFileCopiesUpDataAndMetadataFirst() throws Exception {
        Path f = u.resolve("etc/app/config");
        long inode = (Long) Files.getAttribute(f, "unix:ino");
        Files.writeString(f, " appended", StandardOpenOption.APPEND);
        assertEquals("original appended", Tree.read(f));
        assertCopiedWithMetadata("original appended");
        assertEquals(0750, (Integer) Files.getAttribute(up.resolve("etc/app/config"), "unix:mode") & 07777);
        assertEquals(inode, Files.getAttribute(f, "unix:ino"), "a file keeps its inode number through copy-up");
        assertEquals("original", Tree.read(base.resolve("etc/app/config")));
    }

    @Test
    void aSetUserIdFileKeepsItsSetIdBitAndCapabilityThroughCopyUp() throws Exception {
        // a time change copies up without writing (a write would drop the capability, as on any file)
        Files.setLastModifiedTime(u.resolve("bin/tool"), FileTime.fromMillis(1_100_000_000_000L));
        Path copy = up.resolve("bin/tool");
        assertEquals("#!/bin/sh\n", Tree.read(copy));
        assertEquals(1234, Files.getAttribute(copy, "unix:uid"));
        assertEquals(04755, (Integer) Files.getAttribute(copy, "unix:mode") & 07777,
                "chown on the copy clears set-id bits: the mode is set after it");
        assertTrue(Cmd.ok("getfattr", "--absolute-names", "-m", "security.capability", "-d", copy.toString())
                .contains("security.capability="), "capability copied after the chown that clears it");
    }

    @Test
    void chmodCopiesUp() throws Exception {
        Tree.chmod(u.resolve("etc/app/config"), "rw-------");
        assertEquals(0600, (Integer) Files.getAttribute(u.resolve("etc/app/config"), "unix:mode") & 07777);
        assertCopiedWithMetadata("original");
        assertEquals(0600, (Integer) Files.getAttribute(up.resolve("etc/app/config"), "unix:mode") & 07777);
    }

    @Test
    void chownCopiesUp() throws Exception {
        Files.setAttribute(u.resolve("etc/app/config"), "unix:uid", 555);
        assertEquals(555, Files.getAttribute(u.resolve("etc/app/config"), "unix:uid"));
        assertEquals(555, Files.getAttribute(up.resolve("etc/app/config"), "unix:uid"));
        assertEquals("original", Tree.read(up.resolve("etc/app/config")));
    }

    @Test
    void utimensCopiesUpAndKeepsTheContent() throws Exception {
        FileTime t = FileTime.fromMillis(1_500_000_000_000L);
        Files.setLastModifiedTime(u.resolve("etc/app/config"), t);
        assertEquals(t, Files.getLastModifiedTime(u.resolve("etc/app/config")));
        assertEquals(t, Files.getLastModifiedTime(up.resolve("etc/app/config")));
        assertCopiedWithMetadata("original");
    }

    @Test
    void copyUpKeepsTheModificationTime() throws Exception {
        Tree.chmod(u.resolve("etc/app/config"), "rwxr-x---"); // same mode: still a change, so a copy-up
        assertEquals(FileTime.fromMillis(1_000_000_000_000L), Files.getLastModifiedTime(up.resolve("etc/app/config")));
        assertEquals(FileTime.fromMillis(900_000_000_000L), Files.getLastModifiedTime(up.resolve("etc/app")));
    }

    @Test
    void truncateCopiesUp() throws Exception {
        Cmd.ok("truncate", "-s", "4", u.resolve("etc/app/config").toString());
        assertEquals("orig", Tree.read(u.resolve("etc/app/config")));
        assertCopiedWithMetadata("orig");
    }

    @Test
    void setxattrCopiesUp() throws Exception {
        Cmd.ok("setfattr", "-n", "user.size", "-v", "big", u.resolve("etc/app/config").toString());
        String attrs = Cmd.ok("getfattr", "--absolute-names", "-d", u.resolve("etc/app/config").toString());
        assertTrue(attrs.contains("user.size=\"big\"") && attrs.contains("user.color=\"blue\""), attrs);
        assertTrue(Cmd.ok("getfattr", "--absolute-names", "-d", up.resolve("etc/app/config").toString()).contains("user.size"));
        Cmd.ok("setfattr", "-x", "user.color", u.resolve("etc/app/config").toString());
        assertFalse(Cmd.ok("getfattr", "--absolute-names", "-d", u.resolve("etc/app/config").toString()).contains("user.color"));
    }

    @Test
    void openForWriteWithoutWritingCopiesUp() throws Exception {
        try (var ch = Files.newByteChannel(u.resolve("etc/app/config"), StandardOpenOption.WRITE)) {
            assertTrue(ch.isOpen());
        }
        assertCopiedWithMetadata("original");
    }

    @Test
    void readingDoesNotCopyUp() throws Exception {
        assertEquals("original", Tree.read(u.resolve("etc/app/config")));
        Cmd.ok("getfattr", "-d", u.resolve("etc/app/config").toString());
        assertFalse(Files.exists(up.resolve("etc")));
    }

    @Test
    void newFileInALowerDirectoryCopiesUpTheDirectoryChainOnly() throws Exception {
        Files.writeString(u.resolve("etc/app/new"), "n");
        assertEquals("n", Tree.read(up.resolve("etc/app/new")));
        assertFalse(Files.exists(up.resolve("etc/app/config")), "siblings stay below");
        assertEquals(0710, (Integer) Files.getAttribute(up.resolve("etc/app"), "unix:mode") & 07777);
    }

    @Test
    void overwritingALowerFileKeepsItsMetadataAndOnlyTheNewData() throws Exception {
        Files.writeString(m("etc/app/config"), "new"); // O_TRUNC: nothing of the old data is copied
        assertEquals("new", Tree.read(u.resolve("etc/app/config")));
        assertCopiedWithMetadata("new");
        Cmd.ok("sh", "-c", ": > " + u.resolve("etc/app/config"));
        assertEquals(0, Files.size(up.resolve("etc/app/config")));
    }

    private Path m(String rel) {
        return u.resolve(rel);
    }
}
