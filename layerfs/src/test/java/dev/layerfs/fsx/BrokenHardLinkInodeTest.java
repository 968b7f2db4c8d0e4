package dev.layerfs.fsx;

import dev.layerfs.testing.Tree;
import dev.layerfs.testing.UnionCase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/**
 * Found by the random tester (seed 1, step 50): a copy-up breaks a lower hard link, as in AUFS,
 * but the names that became different files must not keep reporting one inode number, or tar,
 * rsync -H, cp -a and du treat them as one file (tar would archive one as a link to the other
 * and restore the wrong content).
 */
@Timeout(60)
class BrokenHardLinkInodeTest extends UnionCase {

    @Override
    protected void populate() throws Exception {
        Tree.write(base, "h/a", "shared");
        Files.createLink(base.resolve("h/b"), base.resolve("h/a"));
    }

    @Test
    void lowerHardLinksShareOneInodeNumberUntilCopyUp() throws Exception {
        assertEquals(Files.getAttribute(m("h/a"), "unix:ino"), Files.getAttribute(m("h/b"), "unix:ino"));
    }

    @Test
    void copyingUpOneNameOfALowerHardLinkGivesItAnInodeNumberOfItsOwn() throws Exception {
        Files.writeString(m("h/a"), "changed");
        assertEquals("shared", Tree.read(m("h/b")));
        assertNotEquals(Files.getAttribute(m("h/a"), "unix:ino"), Files.getAttribute(m("h/b"), "unix:ino"),
                "h/a and h/b now hold different content, yet report one inode number");
    }

    @Test
    void copyingUpBothNamesOfALowerHardLinkGivesTwoInodeNumbers() throws Exception {
        Files.writeString(m("h/a"), "one");
        Files.writeString(m("h/b"), "two");
        assertNotEquals(Files.getAttribute(m("h/a"), "unix:ino"), Files.getAttribute(m("h/b"), "unix:ino"),
                "two separate upper files report one inode number");
    }
}
