package dev.layerfs.imaged.server;

import dev.layerfs.imaged.oci.Descriptor;
import dev.layerfs.imaged.oci.Digest;
import dev.layerfs.imaged.oci.Manifest;
import dev.layerfs.imaged.oci.MediaTypes;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/** Writes a small image in skopeo's {@code dir:} format: one gzipped tar layer, a config, a manifest. */
final class OciDir {

    private OciDir() {
    }

    static void write(Path dir, byte[] fileContent) throws IOException {
        Files.createDirectories(dir);
        ByteArrayOutputStream tar = new ByteArrayOutputStream();
        try (TarArchiveOutputStream out = new TarArchiveOutputStream(tar)) {
            TarArchiveEntry e = new TarArchiveEntry("data.bin");
            e.setSize(fileContent.length);
            e.setModTime(0);
            out.putArchiveEntry(e);
            out.write(fileContent);
            out.closeArchiveEntry();
        }
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
            out.write(tar.toByteArray());
        }
        byte[] layer = gz.toByteArray();
        byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\""
                + Digest.of(tar.toByteArray()) + "\"]},\"config\":{}}").getBytes(StandardCharsets.UTF_8);
        Manifest m = Manifest.oci(new Descriptor(MediaTypes.OCI_CONFIG, Digest.of(config), config.length),
                List.of(new Descriptor(MediaTypes.OCI_LAYER_TAR_GZIP, Digest.of(layer), layer.length)));
        Files.write(dir.resolve(Digest.of(layer).hex()), layer);
        Files.write(dir.resolve(Digest.of(config).hex()), config);
        Files.write(dir.resolve("manifest.json"), m.toJson());
        Files.writeString(dir.resolve("version"), "Directory Transport Version: 1.1\n");
    }

    static List<String> files(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
