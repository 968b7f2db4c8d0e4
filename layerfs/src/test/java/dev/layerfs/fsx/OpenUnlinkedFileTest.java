package dev.layerfs.fsx;

import dev.layerfs.testing.LiveUnion;
import dev.layerfs.testing.MountProcess;
import dev.layerfs.testing.Tree;
import dev.layerfs.testing.UnionCase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A file removed while open stays usable through its descriptor and is gone by name at once,
 * as on any local file system: no {@code .fuse_hidden*} stand-in shows in the union or lands in
 * the writable branch (where a crash would leave it for good).
 */
@Timeout(60)
class OpenUnlinkedFileTest extends UnionCase {

    @Override
    protected void populate() throws Exception {
        Tree.write(base, "d/lower", "lower content");
    }

    private static List<String> names(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void anOpenFileRemovedByNameLeavesNoHiddenStandIn() throws Exception {
        Files.writeString(m("d/upper"), "upper content");
        try (FileChannel ch = FileChannel.open(m("d/upper"), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            Files.delete(m("d/upper"));
            assertEquals(List.of("lower"), ls(m("d")), "listing while the removed file is still open");
            assertEquals(List.of(), names(up.resolve("d")), "writable branch while the removed file is still open");
            ch.write(ByteBuffer.wrap("more".getBytes(StandardCharsets.UTF_8)), 13);
            ByteBuffer b = ByteBuffer.allocate(64);
            ch.read(b, 0);
            assertEquals("upper contentmore", new String(b.array(), 0, b.position(), StandardCharsets.UTF_8));
        }
    }

    @Test
    void aCrashWhileARemovedFileIsOpenLeavesNothingOfItAfterTheRemount() throws Exception {
        Path lower = Tree.dir(tmp, "crash/lower");
        Path upper = Tree.dir(tmp, "crash/upper");
        Path mnt = Tree.dir(tmp, "crash/mnt");
        String dirs = upper + "=rw:" + lower + "=ro";
        try (MountProcess daemon = MountProcess.start(dirs, mnt, tmp.resolve("daemon.log"))) {
            Files.writeString(daemon.path().resolve("scratch"), "temporary");
            FileChannel ch = FileChannel.open(daemon.path().resolve("scratch"), StandardOpenOption.READ);
            Files.delete(daemon.path().resolve("scratch"));
            daemon.kill(); // the program holding the file open is still running
            ch.close();
        }
        try (LiveUnion again = LiveUnion.mount(dirs, mnt)) {
            assertEquals(List.of(), names(again.path()), "a file removed before the crash came back");
        }
    }

    @Test
    void anOpenLowerFileRemovedByNameLeavesOnlyItsWhiteout() throws Exception {
        try (FileChannel ch = FileChannel.open(m("d/lower"), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            Files.delete(m("d/lower"));
            assertEquals(List.of(), ls(m("d")));
            assertEquals(List.of(".wh.lower"), names(up.resolve("d")), "writable branch while the removed file is still open");
        }
    }
}
