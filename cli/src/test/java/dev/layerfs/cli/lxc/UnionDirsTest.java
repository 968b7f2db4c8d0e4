package dev.layerfs.cli.lxc;

import dev.layerfs.cli.UserError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class UnionDirsTest {

    @TempDir
    Path tmp;

    @Test
    void branchWithoutModeIsWritableWhenFirstAndReadOnlyBelow() throws IOException {
        Path a = Files.createDirectory(tmp.resolve("a"));
        Path b = Files.createDirectory(tmp.resolve("b"));
        Path c = Files.createDirectory(tmp.resolve("c"));

        UnionDirs dirs = UnionDirs.parse(a + ":" + b + ":" + c + "=rr");

        assertEquals("dirs=" + a + "=rw:" + b + "=ro:" + c + "=rr", dirs.option());
    }

    @Test
    void relativeBranchesBecomeAbsoluteSoTheHookFindsThemFromAnywhere() throws IOException {
        Path rel = Path.of("target/union-dirs-test-" + ProcessHandle.current().pid());
        Files.createDirectories(rel);
        try {
            assertEquals("dirs=" + rel.toAbsolutePath() + "=rw", UnionDirs.parse(rel + "=rw").option());
        } finally {
            Files.delete(rel);
        }
    }

    @Test
    void badSpecsAreRefusedNamingWhatIsWrong() throws IOException {
        Path a = Files.createDirectory(tmp.resolve("a"));
        Path b = Files.createDirectory(tmp.resolve("b"));
        Path file = Files.writeString(tmp.resolve("f"), "x");
        Path blank = Files.createDirectory(tmp.resolve("my base"));
        assertRefused("", "missing branches");
        assertRefused(a + "=rw::" + b, "missing branch at position 2");
        assertRefused(a + "=rx", "unknown branch mode 'rx'");
        assertRefused(a + "=rw:" + tmp.resolve("missing") + "=ro", "branch " + tmp.resolve("missing") + ": no such directory");
        assertRefused(file + "=rw", "branch " + file + ": not a directory");
        assertRefused(a + "=rw:" + a + "=ro", "duplicate branch " + a);
        assertRefused(a + "=ro:" + b, "dirs=" + a + "=ro:" + b + "=ro has no writable (=rw) branch");
        assertRefused(blank + "=rw", "branch '" + blank + "' has characters");
    }

    @Test
    void severalWritableBranchesAreAcceptedAsInAufs() throws IOException {
        Path a = Files.createDirectory(tmp.resolve("a"));
        Path b = Files.createDirectory(tmp.resolve("b"));
        assertEquals("dirs=" + a + "=rw:" + b + "=rw", UnionDirs.parse(a + "=rw:" + b + "=rw").option());
    }

    @Test
    void dirsIsTakenFromCommaSeparatedOptions() {
        assertEquals("/a=rw:/b=ro", LxcConfigCommand.dirsOption(List.of("dirs=/a=rw:/b=ro")));
        assertEquals("/a=rw", LxcConfigCommand.dirsOption(List.of(",dirs=/a=rw,")));
        assertEquals("unknown option 'create=mfs': lxc-config takes -o dirs=...[,host[=SOCKET]]",
                assertThrows(UserError.class, () -> LxcConfigCommand.dirsOption(List.of("dirs=/a,create=mfs"))).getMessage());
        assertEquals("dirs is given twice: /a and /b",
                assertThrows(UserError.class, () -> LxcConfigCommand.dirsOption(List.of("dirs=/a", "dirs=/b"))).getMessage());
        assertEquals("no branches: give -o dirs=DIR=rw:DIR=ro...",
                assertThrows(UserError.class, () -> LxcConfigCommand.dirsOption(List.of(""))).getMessage());
    }

    @Test
    void mountinfoEscapesAreDecoded() {
        assertEquals("/srv/my dir\\x", MountTable.unescape("/srv/my\\040dir\\134x"));
        assertEquals("/plain", MountTable.unescape("/plain"));
    }

    private static void assertRefused(String spec, String messageStart) {
        UserError e = assertThrows(UserError.class, () -> UnionDirs.parse(spec), spec);
        if (!e.getMessage().startsWith(messageStart)) {
            throw new AssertionError("for '" + spec + "': expected a message starting with '" + messageStart + "' but got '" + e.getMessage() + "'");
        }
    }
}
