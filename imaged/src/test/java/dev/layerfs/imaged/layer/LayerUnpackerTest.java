package dev.layerfs.imaged.layer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A corpus of hostile and damaged layer archives, generated here: each must be refused with the
 * offending entry named, leaving no layer directory, no temp leftovers and nothing outside.
 */
class LayerUnpackerTest {

    private static final byte[] OK = "harmless\n".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path tmp;
    Path store;
    Path outside;
    Path target;

    @BeforeEach
    void sandbox() throws IOException {
        store = Files.createDirectories(tmp.resolve("store/layers/sha256"));
        outside = Files.createDirectories(tmp.resolve("outside"));
        Files.writeString(outside.resolve("secret"), "do not touch");
        target = store.resolve("layer");
    }

    @Test
    void dotDotEntryIsRefused() throws IOException {
        assertRefused(new RawTar().file("ok", OK).file("../../../outside/evil", OK).finish(), "../../../outside/evil");
    }

    @Test
    void dotDotHiddenInsideAPathIsRefused() throws IOException {
        assertRefused(new RawTar().dir("a/").file("a/b/../../../escape", OK).finish(), "a/b/../../../escape");
    }

    @Test
    void dotDotHiddenInAPaxPathRecordIsRefused() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(out)) {
            TarArchiveEntry e = new TarArchiveEntry("innocent");
            e.addPaxHeader("path", "../../../outside/evil");
            e.setSize(OK.length);
            tar.putArchiveEntry(e);
            tar.write(OK);
            tar.closeArchiveEntry();
        }
        assertRefused(out.toByteArray(), "../../../outside/evil");
    }

    @Test
    void dotDotInAGnuLongNameIsRefused() throws IOException {
        String longName = "../../../outside/" + "x".repeat(120);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(out)) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_GNU);
            TarArchiveEntry e = new TarArchiveEntry(longName, true);
            e.setSize(OK.length);
            tar.putArchiveEntry(e);
            tar.write(OK);
            tar.closeArchiveEntry();
        }
        assertRefused(out.toByteArray(), longName);
    }

    @Test
    void absolutePathIsRefused() throws IOException {
        String abs = outside.resolve("evil").toString();
        assertRefused(new RawTar().file("ok", OK).file(abs, OK).finish(), abs);
    }

    @Test
    void entryWrittenThroughAnEarlierSymlinkIsRefused() throws IOException {
        byte[] tar = new RawTar().symlink("link", outside.toString()).file("link/evil", OK).finish();
        LayerRefusedException e = assertRefused(tar, "link/evil");
        assertTrue(e.getMessage().contains("symlink"), e.getMessage());
    }

    @Test
    void entryThroughARelativeSymlinkChainIsRefused() throws IOException {
        byte[] tar = new RawTar().dir("d/").symlink("d/up", "../../../outside").dir("d/up/sub/").finish();
        assertRefused(tar, "d/up/sub/");
    }

    @Test
    void hardLinkToOutsideIsRefused() throws IOException {
        assertRefused(new RawTar().file("ok", OK).hardlink("hl", "../../../outside/secret").finish(), "hl");
    }

    @Test
    void hardLinkToAbsolutePathIsRefused() throws IOException {
        assertRefused(new RawTar().hardlink("hl", outside.resolve("secret").toString()).finish(), "hl");
    }

    @Test
    void hardLinkToAMissingTargetIsRefused() throws IOException {
        assertRefused(new RawTar().file("ok", OK).hardlink("hl", "not-there").finish(), "hl");
    }

    @Test
    void hardLinkThroughASymlinkIsRefused() throws IOException {
        byte[] tar = new RawTar().symlink("link", outside.toString()).hardlink("hl", "link/secret").finish();
        assertRefused(tar, "hl");
    }

    @Test
    void duplicateEntryIsRefused() throws IOException {
        assertRefused(new RawTar().file("etc/passwd", OK).file("etc/passwd", OK).finish(), "etc/passwd");
    }

    @Test
    void fileReplacingAnEarlierSymlinkIsRefused() throws IOException {
        // Same name twice, the first a symlink out: writing the second would write through it.
        byte[] tar = new RawTar().symlink("x", outside.resolve("secret").toString()).file("./x", OK).finish();
        assertRefused(tar, "./x");
    }

    @Test
    void absurdSizeHeaderIsRefused() throws IOException {
        LayerRefusedException e = assertRefused(new RawTar().file("ok", OK).fileClaiming("huge", 1L << 60, OK).finish(), "huge");
        assertTrue(e.getMessage().contains("absurd"), e.getMessage());
    }

    @Test
    void sizeHeaderLargerThanTheDataIsRefusedAsTruncated() throws IOException {
        byte[] tar = new RawTar().fileClaiming("short", 5000, OK).finish();
        assertRefused(Arrays.copyOf(tar, 512 + 1024), "short");
    }

    @Test
    void truncatedGzipIsRefused() throws IOException {
        byte[] gz = gzip(new RawTar().file("big.bin", text(400_000)).finish());
        assertRefused(Arrays.copyOf(gz, gz.length * 6 / 10), "big.bin");
    }

    @Test
    void gzipMissingOnlyItsTrailerIsRefused() throws IOException {
        byte[] gz = gzip(new RawTar().file("small", OK).finish());
        assertRefused(Arrays.copyOf(gz, gz.length - 4), "small");
    }

    @Test
    void corruptGzipIsRefused() throws IOException {
        byte[] gz = gzip(new RawTar().file("big.bin", text(400_000)).finish());
        for (int i = gz.length / 2; i < gz.length / 2 + 16; i++) {
            gz[i] ^= 0x5a;
        }
        assertRefused(gz, "big.bin");
    }

    @Test
    void garbageInsteadOfATarIsRefused() throws IOException {
        byte[] junk = new byte[4096];
        Arrays.fill(junk, (byte) 'j');
        LayerRefusedException e = assertThrows(LayerRefusedException.class,
                () -> new LayerUnpacker().unpack(new ByteArrayInputStream(junk), target));
        assertNothingLeft(e);
    }

    @Test
    void aWellFormedArchiveUnpacksWithWhiteoutsAsEmptyFiles() throws IOException {
        byte[] tar = new RawTar().dir("./").dir("etc/").file("etc/.wh.hosts", new byte[0])
                .file("var/.wh..wh..opq", new byte[0]).file("var/new", OK).symlink("var/abs", "/etc/passwd")
                .hardlink("var/again", "var/new").finish();
        new LayerUnpacker().unpack(new ByteArrayInputStream(gzip(tar)), target);
        assertEquals(0, Files.size(target.resolve("etc/.wh.hosts")));
        assertEquals(0, Files.size(target.resolve("var/.wh..wh..opq")));
        assertEquals("/etc/passwd", Files.readSymbolicLink(target.resolve("var/abs")).toString());
        assertEquals(Files.getAttribute(target.resolve("var/new"), "unix:ino"), Files.getAttribute(target.resolve("var/again"), "unix:ino"));
        assertEquals(List.of("layer"), list(store));
    }

    private LayerRefusedException assertRefused(byte[] archive, String entry) throws IOException {
        LayerRefusedException e = assertThrows(LayerRefusedException.class,
                () -> new LayerUnpacker().unpack(new ByteArrayInputStream(archive), target));
        assertEquals(entry, e.entry(), e.getMessage());
        assertTrue(e.getMessage().contains("'" + entry + "'"), "message names the entry: " + e.getMessage());
        assertNothingLeft(e);
        return e;
    }

    private void assertNothingLeft(Exception e) throws IOException {
        assertFalse(Files.exists(target), "no layer directory after: " + e.getMessage());
        assertEquals(List.of(), list(store), "no temp leftovers after: " + e.getMessage());
        assertEquals(List.of("secret"), list(outside), "nothing written outside");
        assertEquals("do not touch", Files.readString(outside.resolve("secret")));
        assertEquals(1, ((Number) Files.getAttribute(outside.resolve("secret"), "unix:nlink")).intValue(), "no hard link made to outside");
        assertEquals(List.of("outside", "store"), list(tmp));
    }

    private static List<String> list(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static byte[] text(int size) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; sb.length() < size; i++) {
            sb.append("line ").append(i).append(" of a compressible but not trivial file ").append(i * 7919 % 1000).append('\n');
        }
        return sb.substring(0, size).getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] gzip(byte[] data) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(data);
        }
        return out.toByteArray();
    }
}
