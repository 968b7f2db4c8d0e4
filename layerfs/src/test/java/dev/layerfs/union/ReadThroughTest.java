package dev.layerfs.union;

import dev.layerfs.testing.LiveUnion;
import dev.layerfs.testing.Tree;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(60)
class ReadThroughTest {

    @TempDir
    Path tmp;

    private static List<String> ls(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void topMostBranchWinsAndListingsMergeAllBranches() throws Exception {
        Path up = Tree.dir(tmp, "up");
        Path mid = Tree.dir(tmp, "mid");
        Path base = Tree.dir(tmp, "base");
        Path mnt = Tree.dir(tmp, "mnt");
        Tree.write(base, "etc/hostname", "base");
        Tree.write(base, "etc/only-base", "b");
        Tree.write(mid, "etc/hostname", "mid");
        Tree.write(mid, "etc/only-mid", "m");
        Tree.write(up, "etc/only-up", "u");
        try (LiveUnion u = LiveUnion.mount(up + "=rw:" + mid + "=ro:" + base + "=rr", mnt)) {
            assertEquals("mid", Tree.read(u.resolve("etc/hostname")));
            assertEquals("b", Tree.read(u.resolve("etc/only-base")));
            assertEquals(List.of("hostname", "only-base", "only-mid", "only-up"), ls(u.resolve("etc")));
        }
    }

    @Test
    void whiteoutsAndOpaqueDirectoriesInABranchHideWhatIsBelowAndAreNeverListed() throws Exception {
        Path up = Tree.dir(tmp, "up");
        Path base = Tree.dir(tmp, "base");
        Path mnt = Tree.dir(tmp, "mnt");
        Tree.write(base, "a/gone", "x");
        Tree.write(base, "a/kept", "y");
        Tree.write(base, "b/hidden", "z");
        Tree.write(up, "a/.wh.gone", "");
        Tree.write(up, "b/.wh..wh..opq", "");
        Tree.write(up, "b/new", "n");
        try (LiveUnion u = LiveUnion.mount(up + "=rw:" + base + "=ro", mnt)) {
            assertEquals(List.of("kept"), ls(u.resolve("a")));
            assertFalse(Files.exists(u.resolve("a/gone")));
            assertFalse(Files.exists(u.resolve("a/.wh.gone")), "whiteouts are not visible by name either");
            assertEquals(List.of("new"), ls(u.resolve("b")));
            assertFalse(Files.exists(u.resolve("b/hidden")));
            assertFalse(ls(u.path()).stream().anyMatch(n -> n.startsWith(".wh.")), "work dir is not listed");
        }
    }

    @Test
    void whiteoutInAReadOnlyLayerHidesTheLayersBelowItLikeAnOciImage() throws Exception {
        Path up = Tree.dir(tmp, "up");
        Path layer2 = Tree.dir(tmp, "layer2");
        Path layer1 = Tree.dir(tmp, "layer1");
        Path mnt = Tree.dir(tmp, "mnt");
        Tree.write(layer1, "usr/old", "1");
        Tree.write(layer2, "usr/.wh.old", "");
        try (LiveUnion u = LiveUnion.mount(up + "=rw:" + layer2 + "=ro:" + layer1 + "=ro", mnt)) {
            assertEquals(List.of(), ls(u.resolve("usr")));
        }
    }

    @Test
    void aNonDirectoryInAHigherBranchHidesALowerDirectory() throws Exception {
        Path up = Tree.dir(tmp, "up");
        Path base = Tree.dir(tmp, "base");
        Path mnt = Tree.dir(tmp, "mnt");
        Tree.write(base, "x/inner", "i");
        Tree.write(up, "x", "now a file");
        try (LiveUnion u = LiveUnion.mount(up + ":" + base, mnt)) {
            assertTrue(Files.isRegularFile(u.resolve("x")));
            assertEquals("now a file", Tree.read(u.resolve("x")));
            assertFalse(Files.exists(u.resolve("x/inner")));
        }
    }

    @Test
    void aSymlinkInABranchIsNeverFollowedOutOfItByLookup() throws Exception {
        Path up = Tree.dir(tmp, "up");
        Path base = Tree.dir(tmp, "base");
        Path outside = Tree.dir(tmp, "outside");
        Path mnt = Tree.dir(tmp, "mnt");
        Tree.write(outside, "secret", "s");
        Tree.dir(up, "d");
        Files.createSymbolicLink(base.resolve("d"), outside); // lower "d" is a symlink out of the branch
        try (LiveUnion u = LiveUnion.mount(up + ":" + base, mnt)) {
            assertTrue(Files.isDirectory(u.resolve("d")));
            assertEquals(List.of(), ls(u.resolve("d")), "the upper directory d must not merge the symlink's target");
            assertFalse(Files.exists(u.resolve("d/secret")));
        }
    }

    @Test
    void longPathsBeyondOneComponentBufferWork() throws Exception {
        Path up = Tree.dir(tmp, "up");
        Path base = Tree.dir(tmp, "base");
        Path mnt = Tree.dir(tmp, "mnt");
        StringBuilder rel = new StringBuilder();
        for (int i = 0; i < 30; i++) {
            rel.append("d").append(i).append("-").append("x".repeat(100)).append('/');
        }
        Tree.write(base, rel + "leaf", "deep");
        try (LiveUnion u = LiveUnion.mount(up + ":" + base, mnt)) {
            assertEquals("deep", Tree.read(u.resolve(rel + "leaf")));
            Files.writeString(u.resolve(rel + "leaf"), "changed");
            assertEquals("changed", Tree.read(up.resolve(rel + "leaf")));
            assertEquals("deep", Tree.read(base.resolve(rel + "leaf")));
        }
    }

    @Test
    void namesAreBytesWhetherOrNotTheyAreUtf8() throws Exception {
        Path up = Tree.dir(tmp, "up");
        Path base = Tree.dir(tmp, "base");
        Path mnt = Tree.dir(tmp, "mnt");
        // a UTF-8 name and a Latin-1 one (not valid UTF-8), made by the shell as raw bytes
        dev.layerfs.testing.Cmd.ok("sh", "-c", "cd " + base + " && : > \"$(printf 'h\\303\\251llo')\" && : > \"$(printf 'caf\\351')\"");
        try (LiveUnion u = LiveUnion.mount(up + ":" + base, mnt)) {
            String hex = "LC_ALL=C ls | od -An -tx1 | tr -d ' \\n'";
            assertEquals(dev.layerfs.testing.Cmd.ok("sh", "-c", "cd " + base + " && " + hex),
                    dev.layerfs.testing.Cmd.ok("sh", "-c", "cd " + u.path() + " && " + hex));
            dev.layerfs.testing.Cmd.ok("sh", "-c", "cd " + u.path()
                    + " && echo x >> \"$(printf 'caf\\351')\" && : > \"$(printf 'n\\376w')\"");
            assertEquals(dev.layerfs.testing.Cmd.ok("sh", "-c", "cd " + up + " && " + hex),
                    dev.layerfs.testing.Cmd.ok("sh", "-c", "printf 'caf\\351\\nn\\376w\\n' | od -An -tx1 | tr -d ' \\n'"));
        }
    }
}
