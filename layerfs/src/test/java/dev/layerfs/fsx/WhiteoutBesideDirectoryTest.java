package dev.layerfs.fsx;

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

/**
 * Found by the random tester over two read-only branches: a whiteout applies to the branches
 * below its own (OCI image spec: "whiteout files MUST only apply to resources in lower/parent
 * layers"), also when the same branch holds a directory of that name, as a layer does that
 * deleted a directory and made a new one of the same name. The new directory must not show
 * the deleted one's content.
 */
@Timeout(60)
class WhiteoutBesideDirectoryTest {

    @TempDir
    Path tmp;

    @Test
    void aDirectoryBesideItsOwnWhiteoutHidesTheLowerDirectoryOfThatName() throws Exception {
        Path lower = Tree.dir(tmp, "lower");
        Path layer = Tree.dir(tmp, "layer");
        Path upper = Tree.dir(tmp, "upper");
        Tree.write(lower, "etc/app/old.conf", "deleted by the layer");
        Tree.write(layer, "etc/.wh.app", "");
        Tree.write(layer, "etc/app/new.conf", "made by the layer");
        try (LiveUnion u = LiveUnion.mount(upper + "=rw:" + layer + "=ro:" + lower + "=ro", Tree.dir(tmp, "mnt"))) {
            try (Stream<Path> s = Files.list(u.resolve("etc/app"))) {
                assertEquals(List.of("new.conf"), s.map(p -> p.getFileName().toString()).sorted().toList());
            }
            assertEquals(false, Files.exists(u.resolve("etc/app/old.conf")), "a deleted lower file shows through");
        }
    }
}
