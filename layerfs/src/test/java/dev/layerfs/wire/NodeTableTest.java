package dev.layerfs.wire;

import dev.layerfs.sys.Errno;
import dev.layerfs.sys.ErrnoException;
import dev.layerfs.union.UnionPath;
import org.junit.jupiter.api.Test;

import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class NodeTableTest {

    private final NodeTable nodes = new NodeTable();

    @Test
    void aNameLookedUpTwiceIsOneNodeAndLivesUntilEveryLookupIsForgotten() throws Exception {
        long a = nodes.lookedUp(Protocol.ROOT_ID, "a");
        assertEquals(a, nodes.lookedUp(Protocol.ROOT_ID, "a"));
        nodes.forget(a, 1);
        assertEquals(UnionPath.of("/a"), nodes.path(a));
        nodes.forget(a, 1);
        assertEquals(Errno.ENOENT, assertThrows(ErrnoException.class, () -> nodes.path(a)).errno());
        assertNotEquals(a, nodes.lookedUp(Protocol.ROOT_ID, "a"), "node ids are never reused");
    }

    @Test
    void renamingADirectoryMovesThePathsOfEverythingBelowIt() throws Exception {
        long dir = nodes.lookedUp(Protocol.ROOT_ID, "dir");
        long sub = nodes.lookedUp(dir, "sub");
        long file = nodes.lookedUp(sub, "f");
        long other = nodes.lookedUp(Protocol.ROOT_ID, "other");

        nodes.renamed(Protocol.ROOT_ID, "dir", other, "moved");

        assertEquals(UnionPath.of("/other/moved/sub/f"), nodes.path(file));
        assertEquals(sub, nodes.lookedUp(nodes.lookedUp(other, "moved"), "sub"), "the moved node answers under its new name");
    }

    @Test
    void aRenameOverANameDetachesTheReplacedNode() throws Exception {
        long a = nodes.lookedUp(Protocol.ROOT_ID, "a");
        long b = nodes.lookedUp(Protocol.ROOT_ID, "b");
        nodes.renamed(Protocol.ROOT_ID, "a", Protocol.ROOT_ID, "b");
        assertEquals(UnionPath.of("/b"), nodes.path(a));
        assertThrows(ErrnoException.class, () -> nodes.path(b));
    }

    @Test
    void aRemovedNameAnswersOnlyThroughItsOpenFiles() throws Exception {
        long f = nodes.lookedUp(Protocol.ROOT_ID, "f");
        nodes.opened(f, 7);
        nodes.removed(Protocol.ROOT_ID, "f");
        assertThrows(ErrnoException.class, () -> nodes.path(f));
        assertEquals(Optional.of(7L), nodes.anyHandle(f));
        assertNotEquals(f, nodes.lookedUp(Protocol.ROOT_ID, "f"), "a new file under the old name is a new node");
        nodes.released(f, 7);
        assertEquals(Optional.empty(), nodes.anyHandle(f));
    }

    @Test
    void theRootIsNeverForgotten() throws Exception {
        nodes.forget(Protocol.ROOT_ID, 1000);
        assertEquals(UnionPath.ROOT, nodes.path(Protocol.ROOT_ID));
    }
}
