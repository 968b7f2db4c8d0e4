package dev.layerfs.union;

import dev.layerfs.testing.Cmd;
import dev.layerfs.testing.Tree;
import dev.layerfs.testing.UnionCase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Symlinks, hard links, fifos, device nodes, fsync, statfs, and the reserved .wh. names. */
@Timeout(60)
class SpecialFilesTest extends UnionCase {

    @Override
    protected void populate() throws Exception {
        Tree.write(base, "bin/busybox", "#!binary");
        Files.createSymbolicLink(base.resolve("bin/sh"), Path.of("busybox"));
        Files.createSymbolicLink(base.resolve("bin/escape"), Path.of("/etc/passwd"));
        Tree.write(base, "data/shared", "shared");
        Tree.write(base, "links/a", "one file");
        Files.createLink(base.resolve("links/b"), base.resolve("links/a"));
    }

    @Test
    void lowerSymlinksReadAndResolveInsideTheMount() throws Exception {
        assertEquals(Path.of("busybox"), Files.readSymbolicLink(m("bin/sh")));
        assertEquals("#!binary", Tree.read(m("bin/sh")));
        assertEquals(Path.of("/etc/passwd"), Files.readSymbolicLink(m("bin/escape")));
    }

    @Test
    void symlinksCreatedThroughTheMountLandInTheWritableBranch() throws Exception {
        Files.createSymbolicLink(m("data/link"), Path.of("shared"));
        assertEquals("shared", Tree.read(m("data/link")));
        assertEquals(Path.of("shared"), Files.readSymbolicLink(up.resolve("data/link")));
    }

    @Test
    void lowerSymlinkCopiesUpAsASymlinkOnChown() throws Exception {
        Cmd.ok("chown", "-h", "42:43", m("bin/sh").toString());
        assertTrue(Files.isSymbolicLink(up.resolve("bin/sh")));
        assertEquals(42, Files.getAttribute(up.resolve("bin/sh"), "unix:uid", LinkOption.NOFOLLOW_LINKS));
        assertEquals(Path.of("busybox"), Files.readSymbolicLink(up.resolve("bin/sh")));
        assertFalse(Files.exists(up.resolve("bin/busybox")));
    }

    @Test
    void hardLinksShareOneInodeAndTheirContent() throws Exception {
        Files.createLink(m("data/link"), m("data/shared"));
        assertEquals(Files.getAttribute(m("data/shared"), "unix:ino"), Files.getAttribute(m("data/link"), "unix:ino"));
        assertEquals(Files.getAttribute(up.resolve("data/shared"), "unix:ino"),
                Files.getAttribute(up.resolve("data/link"), "unix:ino"), "one inode in the writable branch");
        Files.writeString(m("data/link"), "through link");
        assertEquals("through link", Tree.read(m("data/shared")));
        assertEquals(2, Files.getAttribute(up.resolve("data/shared"), "unix:nlink"));
    }

    @Test
    void fifosAreCreatedWithMkfifo() throws Exception {
        Cmd.ok("mkfifo", m("data/pipe").toString());
        assertTrue(Files.readAttributes(m("data/pipe"), "unix:mode").get("mode") instanceof Integer);
        assertTrue(Cmd.ok("stat", "-c", "%F", m("data/pipe").toString()).contains("fifo"));
        assertTrue(Cmd.ok("stat", "-c", "%F", up.resolve("data/pipe").toString()).contains("fifo"));
    }

    @Test
    void deviceNodesAreCreatedWithMknod() throws Exception {
        Cmd.ok("mknod", m("data/null").toString(), "c", "1", "3");
        assertEquals("character special file 1 3",
                Cmd.ok("stat", "-c", "%F %t %T", m("data/null").toString()));
        assertEquals("character special file 1 3",
                Cmd.ok("stat", "-c", "%F %t %T", up.resolve("data/null").toString()));
    }

    @Test
    void deviceNodesAreCopiedUpAsDeviceNodes() throws Exception {
        Cmd.ok("mknod", base.resolve("data/zero").toString(), "c", "1", "5");
        try {
            Cmd.ok("chmod", "600", m("data/zero").toString());
            assertEquals("character special file 1 5 600",
                    Cmd.ok("stat", "-c", "%F %t %T %a", up.resolve("data/zero").toString()));
        } finally {
            Files.delete(base.resolve("data/zero")); // keep the ro-branch comparison about the union's doing
        }
    }

    @Test
    void fsyncThroughTheMountSucceedsAndTheDataIsInTheWritableBranch() throws Exception {
        try (FileChannel ch = FileChannel.open(m("data/synced"), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap("durable".getBytes()));
            ch.force(true);
            ch.force(false);
        }
        assertEquals("durable", Tree.read(up.resolve("data/synced")));
    }

    @Test
    void statfsReportsTheWritableBranchFileSystem() throws Exception {
        var mounted = Files.getFileStore(m("data"));
        var upper = Files.getFileStore(up);
        assertEquals(upper.getTotalSpace(), mounted.getTotalSpace());
        assertTrue(mounted.getUsableSpace() > 0);
    }

    @Test
    void creatingWhiteoutNamesThroughTheMountIsRefused() throws Exception {
        assertThrows(FileSystemException.class, () -> Files.writeString(m("data/.wh.shared"), ""));
        assertThrows(FileSystemException.class, () -> Files.createDirectory(m(".wh..wh..opq")));
        assertThrows(FileSystemException.class, () -> Files.createSymbolicLink(m("data/.wh.x"), Path.of("y")));
        assertThrows(FileSystemException.class, () -> Files.move(m("data/shared"), m("data/.wh.moved")));
        assertThrows(FileSystemException.class, () -> Files.createLink(m("data/.wh.l"), m("data/shared")));
        var r = Cmd.run("touch", m("data/.wh.touch").toString());
        assertNotEquals(0, r.exit());
        assertTrue(r.output().contains("Operation not permitted"), r.output());
        assertTrue(Files.exists(m("data/shared")));
        assertFalse(Files.exists(up.resolve("data/.wh.shared")));
    }

    @Test
    void newFilesBelongToTheCaller() throws Exception {
        Tree.chmod(tmp, "rwxr-xr-x"); // let user 1000 reach the mount point
        Tree.chmod(u.path(), "rwxr-xr-x");
        String out = Cmd.ok("setpriv", "--reuid=1000", "--regid=1000", "--clear-groups", "sh", "-c",
                "mkdir " + m("tmpdir") + " 2>&1; echo ok");
        // a non-root user may not write the union root (owned by root): the kernel refuses with default_permissions
        assertTrue(out.contains("Permission denied"), out);
        Files.createDirectory(m("shared"));
        Tree.chmod(m("shared"), "rwxrwxrwx");
        Cmd.ok("setpriv", "--reuid=1000", "--regid=1000", "--clear-groups", "sh", "-c",
                "echo hi > " + m("shared/mine") + " && mkdir " + m("shared/d") + " && ln -s x " + m("shared/l"));
        assertEquals(1000, Files.getAttribute(up.resolve("shared/mine"), "unix:uid"));
        assertEquals(1000, Files.getAttribute(up.resolve("shared/mine"), "unix:gid"));
        assertEquals(1000, Files.getAttribute(up.resolve("shared/d"), "unix:uid"));
        assertEquals(1000, Files.getAttribute(up.resolve("shared/l"), "unix:uid", LinkOption.NOFOLLOW_LINKS));
    }

    @Test
    void entriesMadeInASetGroupIdDirectoryTakeItsGroupAndDirectoriesTheBit() throws Exception {
        Files.createDirectory(m("team"));
        Files.setAttribute(m("team"), "unix:gid", 50);
        Cmd.ok("chmod", "2775", m("team").toString());
        Files.writeString(m("team/file"), "f");
        Files.createDirectory(m("team/sub"));
        assertEquals(50, Files.getAttribute(up.resolve("team/file"), "unix:gid"));
        assertEquals(50, Files.getAttribute(up.resolve("team/sub"), "unix:gid"));
        assertEquals(02000, (Integer) Files.getAttribute(m("team/sub"), "unix:mode") & 02000);
        Files.delete(m("team/sub"));
        Files.createDirectory(m("team/sub")); // no whiteout here: a plain mkdir again
        assertEquals(02000, (Integer) Files.getAttribute(m("team/sub"), "unix:mode") & 02000);
        Cmd.ok("sh", "-c", "touch " + m("team/tool") + " && chmod 6755 " + m("team/tool"));
        Tree.chmod(tmp, "rwxr-xr-x"); // let user 1000 reach the mount point
        Tree.chmod(u.path(), "rwxr-xr-x");
        Cmd.ok("setpriv", "--reuid=1000", "--regid=50", "--clear-groups", "sh", "-c",
                "umask 0; perl -MFcntl -e 'sysopen(F, $ARGV[0], O_CREAT|O_WRONLY, 02755) or die $!' "
                        + m("team/sgid-by-member")); // made by the daemon, then given to the caller
        assertEquals(02755, (Integer) Files.getAttribute(m("team/sgid-by-member"), "unix:mode") & 07777,
                "a set-group-ID file made by a group member keeps the bit the kernel let through");
    }

    @Test
    void listingsCarryTheSameInodeNumbersAsStatEvenAfterCopyUp() throws Exception {
        Cmd.ok("chmod", "600", m("data/shared").toString()); // copied up: the upper file is another inode
        Files.writeString(m("data/new"), "n");
        for (String line : Cmd.ok("ls", "-i1", m("data").toString()).lines().toList()) {
            String[] f = line.trim().split("\\s+", 2);
            assertEquals(Cmd.ok("stat", "-c", "%i", m("data/" + f[1]).toString()), f[0], line);
        }
        for (String line : Cmd.ok("ls", "-i1", m("bin").toString()).lines().toList()) {
            String[] f = line.trim().split("\\s+", 2);
            assertEquals(Cmd.ok("stat", "-c", "%i", m("bin/" + f[1]).toString()), f[0], line);
        }
    }

    @Test
    void copyUpBreaksALowerHardLinkAndTheNamesThenReportTwoInodeNumbers() throws Exception {
        assertEquals(Files.getAttribute(m("links/a"), "unix:ino"), Files.getAttribute(m("links/b"), "unix:ino"));
        Files.writeString(m("links/a"), "changed");
        assertEquals("one file", Tree.read(m("links/b")), "the other name keeps the lower content");
        assertNotEquals(Files.getAttribute(m("links/a"), "unix:ino"), Files.getAttribute(m("links/b"), "unix:ino"));
    }

    @Test
    void aNewFileReusingAFreedUpperInodeGetsANumberOfItsOwn() throws Exception {
        Files.writeString(m("links/a"), "copied up"); // the copy of a lower hard link is a file of its own
        Files.delete(m("links/a"));
        java.util.Set<Object> seen = new java.util.HashSet<>();
        for (int i = 0; i < 20; i++) { // the branch file system may hand the freed inode to one of these
            Files.writeString(m("links/new" + i), "n");
            seen.add(Files.getAttribute(m("links/new" + i), "unix:ino"));
        }
        assertEquals(20, seen.size(), "each new file has a number of its own");
        assertFalse(seen.contains(Files.getAttribute(m("links/b"), "unix:ino")), "none shares the lower file's number");
    }

    @Test
    void dataWrittenThroughARemovedNameIsReadThroughTheRemainingName() throws Exception {
        Files.writeString(m("data/solo"), "first\n");
        Files.createLink(m("data/other"), m("data/solo"));
        assertEquals("first\n", Tree.read(m("data/other"))); // the kernel caches data/other's size now
        try (FileChannel ch = FileChannel.open(m("data/solo"), StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap("tail".getBytes()), 100_000);
        }
        Files.delete(m("data/solo"));
        ByteBuffer got = ByteBuffer.allocate(4);
        try (FileChannel ch = FileChannel.open(m("data/other"), StandardOpenOption.READ)) {
            ch.read(got, 100_000);
        }
        assertEquals("tail", new String(got.array(), 0, got.position()));
    }
}
