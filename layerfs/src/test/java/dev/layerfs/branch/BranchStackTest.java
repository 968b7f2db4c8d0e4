package dev.layerfs.branch;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BranchStackTest {

    @TempDir
    Path tmp;

    private Path dir(String name) throws Exception {
        return Files.createDirectories(tmp.resolve(name));
    }

    @Test
    void firstBranchWithoutModeIsRwAndTheRestRo() throws Exception {
        Path a = dir("a");
        Path b = dir("b");
        Path c = dir("c");
        BranchStack s = BranchStack.parse(a + ":" + b + ":" + c + "=rr", tmp);
        assertEquals(BranchMode.RW, s.get(0).mode());
        assertEquals(BranchMode.RO, s.get(1).mode());
        assertEquals(BranchMode.RR, s.get(2).mode());
        assertTrue(s.writable().isPresent());
    }

    @Test
    void unionOfOnlyReadOnlyBranchesIsLegitimateAndNotWritable() throws Exception {
        BranchStack s = BranchStack.parse(dir("a") + "=ro:" + dir("b") + "=rr", tmp);
        assertFalse(s.writable().isPresent());
    }

    @Test
    void relativeBranchesResolveAgainstTheWorkingDirectory() throws Exception {
        dir("up");
        BranchStack s = BranchStack.parse("up=rw", tmp);
        assertEquals(tmp.toRealPath().resolve("up"), s.get(0).dir());
    }

    @Test
    void unknownModeIsNamed() throws Exception {
        Path a = dir("a");
        var e = assertThrows(BranchSpecException.class, () -> BranchStack.parse(a + "=rx", tmp));
        assertTrue(e.getMessage().contains("unknown branch mode 'rx'"), e.getMessage());
    }

    @Test
    void missingBranchDirectoryIsNamed() {
        Path missing = tmp.resolve("nope");
        var e = assertThrows(BranchSpecException.class, () -> BranchStack.parse(missing + "=rw", tmp));
        assertTrue(e.getMessage().contains(missing.toString()) && e.getMessage().contains("no such directory"), e.getMessage());
    }

    @Test
    void emptyBranchInTheListIsAnError() throws Exception {
        Path a = dir("a");
        Path b = dir("b");
        var e = assertThrows(BranchSpecException.class, () -> BranchStack.parse(a + "::" + b, tmp));
        assertTrue(e.getMessage().contains("missing branch at position 2"), e.getMessage());
    }

    @Test
    void duplicateBranchIsNamedEvenWhenSpelledDifferently() throws Exception {
        Path a = dir("a");
        var e = assertThrows(BranchSpecException.class, () -> BranchStack.parse(a + ":" + tmp + "/./a=ro", tmp));
        assertTrue(e.getMessage().startsWith("duplicate branch"), e.getMessage());
    }

    @Test
    void anyBranchMayBeWritableAsInAufs() throws Exception {
        Path a = dir("a");
        Path b = dir("b");
        Path c = dir("c");
        BranchStack s = BranchStack.parse(a + "=rw:" + b + "=ro:" + c + "=rw", tmp);
        assertEquals(List.of(0, 2), s.writableIndexes());
        assertEquals(a.toRealPath(), s.writable().orElseThrow().dir());
        assertEquals(List.of(1), BranchStack.parse(a + "=ro:" + b + "=rw", tmp).writableIndexes());
    }

    @Test
    void specRoundTrips() throws Exception {
        Path a = dir("a");
        Path b = dir("b");
        BranchStack s = BranchStack.parse(a + ":" + b, tmp);
        assertEquals(s, BranchStack.parse(s.spec(), Path.of("/")));
    }
}
