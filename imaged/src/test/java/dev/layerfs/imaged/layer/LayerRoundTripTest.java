package dev.layerfs.imaged.layer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.layerfs.imaged.oci.Digest;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.SortedMap;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LayerRoundTripTest {

    @TempDir
    Path tmp;

    @BeforeAll
    static void tools() {
        assumeTrue(Commands.available("setfattr") && Commands.available("getfattr"),
                "SKIPPED LOUDLY: setfattr/getfattr (package attr) not installed; layer round trip needs them");
    }

    @Test
    void packThenUnpackPreservesEveryKindOfEntryAndItsMetadata() throws IOException {
        Path source = SampleTree.rich(tmp.resolve("source"));
        PackedLayer layer = new LayerPacker().pack(source, tmp.resolve("layer.tar.gz"));

        UnpackedLayer unpacked;
        try (InputStream in = Files.newInputStream(layer.file())) {
            unpacked = new LayerUnpacker().unpack(in, tmp.resolve("unpacked"));
        }

        SortedMap<String, String> expected = TreeSnapshot.of(source);
        SortedMap<String, String> actual = TreeSnapshot.of(unpacked.directory());
        assertEquals(expected, actual);
        assertEquals(layer.diffId(), unpacked.diffId(), "diff_id from packing and from unpacking agree");
        assertTrue(actual.get("bin/tool").startsWith("mode=0104755"), actual.get("bin/tool"));
        assertTrue(actual.get("bin/tool-again").contains("links=bin/tool"), actual.get("bin/tool-again"));
        assertTrue(actual.get("xattrs/file").contains("user.binary=0x00ff10fe"), actual.get("xattrs/file"));
        assertTrue(actual.get("etc/passwd").contains("mtime=2001-02-03T04:05:06Z"), actual.get("etc/passwd"));
        assertTrue(actual.get(".wh.removed-file").contains("size=0"), "whiteouts stay empty files");
        assertTrue(actual.get("lib/odd-target").endsWith("-> ../lib//sub/"), actual.get("lib/odd-target"));
        assertTrue(actual.containsKey("opaque/.wh..wh..opq"), "opaque marker kept");
        if (NativeFs.isRoot()) {
            assertTrue(actual.get("dev/null2").startsWith("mode=0020666") && actual.get("dev/null2").contains("rdev=259"),
                    actual.get("dev/null2"));
        }
        try (Stream<Path> left = Files.list(tmp)) {
            assertEquals(3, left.count(), "no temp directories left beside the layer");
        }
    }

    @Test
    void layerIsAStandardPaxTarThatGnuTarReads() throws IOException {
        Path source = SampleTree.rich(tmp.resolve("source"));
        PackedLayer layer = new LayerPacker().pack(source, tmp.resolve("layer.tar.gz"));
        Path gnu = Files.createDirectories(tmp.resolve("gnu"));
        Commands.run("tar", "--xattrs", "--xattrs-include=*", "--numeric-owner", "-xzpf", layer.file().toString(), "-C", gnu.toString());
        assertEquals(TreeSnapshot.of(source), TreeSnapshot.of(gnu), "GNU tar extracts exactly the tree, binary xattrs included");
        assertEquals(layer.digest(), digestOf(layer.file()));
        assertEquals(layer.size(), Files.size(layer.file()));
    }

    @Test
    void aPaxLayerWrittenByGnuTarUnpacksExactlyIncludingBinaryXattrs() throws IOException {
        Path source = SampleTree.rich(tmp.resolve("source"));
        Path tar = tmp.resolve("gnu.tar");
        Commands.run("tar", "--format=posix", "--xattrs", "--xattrs-include=*", "--numeric-owner", "-cpf", tar.toString(),
                "-C", source.toString(), ".");

        UnpackedLayer unpacked;
        try (InputStream in = Files.newInputStream(tar)) {
            unpacked = new LayerUnpacker().unpack(in, tmp.resolve("unpacked"));
        }

        assertEquals(TreeSnapshot.of(source), TreeSnapshot.of(unpacked.directory()));
        assertEquals(digestOf(tar), unpacked.diffId(), "an uncompressed layer's diff_id is its digest");
    }

    @Test
    void sameTreeGivesSameDigestEvenWhenCopiedElsewhere() throws IOException {
        Path source = SampleTree.rich(tmp.resolve("source"));
        Path copy = tmp.resolve("copy");
        Commands.run("cp", "-a", source.toString(), copy.toString());

        PackedLayer first = new LayerPacker().pack(source, tmp.resolve("a.tar.gz"));
        PackedLayer again = new LayerPacker().pack(source, tmp.resolve("b.tar.gz"));
        PackedLayer copied = new LayerPacker().pack(copy, tmp.resolve("c.tar.gz"));

        assertEquals(first.digest(), again.digest());
        assertEquals(first.digest(), copied.digest());
        assertEquals(first.diffId(), copied.diffId());
        assertNotEquals(first.digest(), first.diffId(), "compressed and uncompressed digests differ");

        SampleTree.write(copy.resolve("etc/motd"), "changed\n");
        assertNotEquals(first.digest(), new LayerPacker().pack(copy, tmp.resolve("d.tar.gz")).digest());
    }

    @Test
    void layerfsBookkeepingIsLeftOutButWhiteoutsAndOpaqueMarkersAreKept() throws IOException {
        Path source = tmp.resolve("branch");
        SampleTree.write(source.resolve("kept"), "data");
        SampleTree.write(source.resolve(".wh.deleted"), "");
        SampleTree.write(source.resolve("dir/.wh..wh..opq"), "");
        SampleTree.addLayerfsMetadata(source);

        PackedLayer layer = new LayerPacker().pack(source, tmp.resolve("layer.tar.gz"));

        try (TarArchiveInputStream tar = new TarArchiveInputStream(new GzipCompressorInputStream(Files.newInputStream(layer.file())))) {
            StringBuilder names = new StringBuilder();
            for (TarArchiveEntry e; (e = tar.getNextEntry()) != null; ) {
                names.append(e.getName()).append(' ');
            }
            assertEquals(".wh.deleted dir/ dir/.wh..wh..opq kept ", names.toString());
        }
    }

    @Test
    void aMismatchingDiffIdKeepsNothing() throws IOException {
        Path source = tmp.resolve("src");
        SampleTree.write(source.resolve("f"), "content");
        PackedLayer layer = new LayerPacker().pack(source, tmp.resolve("layer.tar.gz"));
        Digest wrong = Digest.of(new byte[] {1});
        Path target = tmp.resolve("out");
        try (InputStream in = Files.newInputStream(layer.file())) {
            LayerRefusedException e = org.junit.jupiter.api.Assertions.assertThrows(LayerRefusedException.class,
                    () -> new LayerUnpacker().unpack(in, target, Optional.of(wrong)));
            assertTrue(e.getMessage().contains(wrong.toString()), e.getMessage());
        }
        assertFalse(Files.exists(target));
        try (Stream<Path> left = Files.list(tmp)) {
            assertEquals(2, left.count(), "only the source and the layer file remain");
        }
    }

    private static Digest digestOf(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return Digest.of(in);
        }
    }
}
