package dev.layerfs.fsx;

import dev.layerfs.testing.Tree;
import dev.layerfs.testing.UnionCase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Found by the random tester (seed 3, step 520): data appended through one name of a hard link
 * must be readable through the other name at once, also after the first name is removed.
 * Reading a file with several names bypasses the page cache (direct_io), but a file whose other
 * names are gone by the time it is opened is read through the kernel's cached, stale size: the
 * appended bytes read as end-of-file for up to attr_timeout (1 s), as in
 * {@code ln a b; echo more >> a; rm a; cat b}.
 */
@Timeout(60)
class HardLinkReadAfterUnlinkTest extends UnionCase {

    @Override
    protected void populate() throws Exception {
        Tree.write(base, "d/a", "first line\n");
    }

    @Test
    void dataAppendedThroughARemovedNameIsReadThroughTheRemainingName() throws Exception {
        Files.createLink(m("d/b"), m("d/a"));
        assertEquals("first line\n", Tree.read(m("d/b"))); // the kernel now caches d/b's size
        Files.writeString(m("d/a"), "second line\n", StandardOpenOption.APPEND);
        Files.delete(m("d/a"));
        assertEquals("first line\nsecond line\n", Tree.read(m("d/b")));
    }

    @Test
    void dataWrittenPastTheEndThroughARemovedNameIsReadThroughTheRemainingName() throws Exception {
        Files.createLink(m("d/b"), m("d/a"));
        Files.setLastModifiedTime(m("d/b"), java.nio.file.attribute.FileTime.fromMillis(1_000_000_000_000L));
        Files.size(m("d/b")); // the kernel now caches d/b's size
        byte[] block = new byte[6000];
        java.util.Arrays.fill(block, (byte) 'z');
        try (FileChannel ch = FileChannel.open(m("d/a"), StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(block), 200_000);
        }
        Files.delete(m("d/a"));
        ByteBuffer got = ByteBuffer.allocate(6000);
        try (FileChannel ch = FileChannel.open(m("d/b"), StandardOpenOption.READ)) {
            while (got.hasRemaining() && ch.read(got, 200_000 + got.position()) > 0) {
                // read on
            }
        }
        assertEquals(6000, got.position(), "bytes read at offset 200000 through d/b");
    }
}
