package dev.layerfs.control;

import dev.layerfs.branch.BranchMode;
import dev.layerfs.branch.BranchSpecException;
import dev.layerfs.branch.BranchStack;
import dev.layerfs.testing.Tree;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.OptionalInt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The remount syntax of branch edits and how they apply to a stack, without a mount. */
class BranchEditsTest {

    @TempDir
    Path tmp;

    @Test
    void editsParseInAufsRemountSyntaxWithRelativeDirectoriesResolved() {
        Path cwd = Path.of("/srv");
        assertEquals(new BranchEdit.Add(OptionalInt.of(1), Path.of("/srv/patch"), BranchMode.RO), BranchEdit.parse("add:1:patch", cwd));
        assertEquals(new BranchEdit.Add(OptionalInt.empty(), Path.of("/b"), BranchMode.RR), BranchEdit.parse("append:/b=rr", cwd));
        assertEquals(new BranchEdit.Add(OptionalInt.of(0), Path.of("/u"), BranchMode.RW), BranchEdit.parse("prepend:/u=rw", cwd));
        assertEquals(new BranchEdit.Delete(Path.of("/srv/x")), BranchEdit.parse("del:x/", cwd));
        assertEquals(new BranchEdit.Modify(Path.of("/b"), BranchMode.RW), BranchEdit.parse("mod:/b=rw", cwd));
        for (String e : List.of("add:1:/a=ro", "append:/a=rr", "del:/a", "mod:/a=rw")) {
            assertEquals(BranchEdit.parse(e, cwd), BranchEdit.parse(BranchEdit.parse(e, cwd).option(), cwd), "round trip of " + e);
        }
    }

    @Test
    void malformedEditsAreRefusedNamingThem() {
        Path cwd = Path.of("/");
        assertMessage("bad index 'x' in 'add:x:/a'", () -> BranchEdit.parse("add:x:/a", cwd));
        assertMessage("missing index in 'add:/a'", () -> BranchEdit.parse("add:/a", cwd));
        assertMessage("missing mode in 'mod:/a'", () -> BranchEdit.parse("mod:/a", cwd));
        assertMessage("a deleted branch takes no mode: 'del:/a=ro'", () -> BranchEdit.parse("del:/a=ro", cwd));
        assertMessage("unknown branch mode 'wr'", () -> BranchEdit.parse("append:/a=wr", cwd));
        assertMessage("unknown branch change 'ins:/a'", () -> BranchEdit.parse("ins:/a", cwd));
    }

    @Test
    void editsApplyInOrderAndTheResultObeysTheMountRules() throws Exception {
        Path up = Tree.dir(tmp, "up");
        Path base = Tree.dir(tmp, "base");
        Path extra = Tree.dir(tmp, "extra");
        BranchStack stack = BranchStack.parse(up + "=rw:" + base + "=ro", Path.of("/"));
        Path mnt = Path.of("/mnt/union");
        BranchStack next = BranchEdits.apply(stack, List.of(BranchEdit.parse("add:1:" + extra, mnt),
                BranchEdit.parse("mod:" + base + "=rr", mnt), BranchEdit.parse("del:" + up, mnt)), mnt);
        assertEquals(extra + "=ro:" + base + "=rr", next.spec());
        assertMessage("index 3 out of range for branch " + extra,
                () -> BranchEdits.apply(stack, List.of(BranchEdit.parse("add:3:" + extra, mnt)), mnt));
        assertMessage("no branch " + extra, () -> BranchEdits.apply(stack, List.of(BranchEdit.parse("del:" + extra, mnt)), mnt));
        assertMessage("duplicate branch " + base,
                () -> BranchEdits.apply(stack, List.of(BranchEdit.parse("append:" + base, mnt)), mnt));
        Path inside = extra.resolve("mnt");
        assertMessage("branch " + extra + ": contains the mount point " + inside,
                () -> BranchEdits.apply(stack, List.of(BranchEdit.parse("append:" + extra, mnt)), inside));
        assertMessage("no branch change given", () -> BranchEdits.apply(stack, List.of(), mnt));
    }

    private static void assertMessage(String expected, org.junit.jupiter.api.function.Executable e) {
        BranchSpecException x = assertThrows(BranchSpecException.class, e);
        assertTrue(x.getMessage().contains(expected), "expected '" + expected + "' in: " + x.getMessage());
    }
}
