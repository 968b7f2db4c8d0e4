package dev.layerfs.fsx;

import dev.layerfs.testing.Tree;
import dev.layerfs.testing.UnionCase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Found by the random tester (seed 20261122, step 515): a directory made inside a set-group-ID
 * directory inherits the set-group-ID bit (Linux, POSIX), also when a deleted lower name makes
 * the union assemble it as an opaque directory, and also when the caller's group is already
 * the parent's.
 */
@Timeout(60)
class SetGidOverWhiteoutTest extends UnionCase {

    @Override
    protected void populate() throws Exception {
        Tree.write(base, "shared/gone", "lower file");
        Tree.dir(base, "shared/olddir");
    }

    private boolean setGid(String rel) throws Exception {
        return ((Integer) Files.getAttribute(m(rel), "unix:mode") & 02000) != 0;
    }

    @Test
    void directoryMadeInASetGidDirectoryInheritsTheBit() throws Exception {
        Files.setAttribute(m("shared"), "unix:mode", 02755);
        Files.createDirectory(m("shared/fresh"));
        assertTrue(setGid("shared/fresh"));
    }

    @Test
    void directoryMadeWhereALowerFileWasDeletedInheritsTheBitToo() throws Exception {
        Files.setAttribute(m("shared"), "unix:mode", 02755);
        Files.delete(m("shared/gone"));
        Files.createDirectory(m("shared/gone"));
        assertTrue(setGid("shared/gone"), "opaque directory lost the inherited set-group-ID bit");
    }

    @Test
    void directoryMadeWhereALowerDirectoryWasRemovedInheritsTheBitToo() throws Exception {
        Files.setAttribute(m("shared"), "unix:mode", 02755);
        Files.delete(m("shared/olddir"));
        Files.createDirectory(m("shared/olddir"));
        assertTrue(setGid("shared/olddir"), "opaque directory lost the inherited set-group-ID bit");
    }
}
