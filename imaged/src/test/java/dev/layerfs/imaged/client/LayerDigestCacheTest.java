package dev.layerfs.imaged.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.layerfs.imaged.layer.PackedLayer;
import dev.layerfs.imaged.oci.Digest;
import dev.layerfs.imaged.oci.MediaTypes;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LayerDigestCacheTest {

    @TempDir
    Path tmp;

    private PackedLayer layerOf(Path tar) throws Exception {
        Digest d = Digest.of(Files.readAllBytes(tar));
        return new PackedLayer(tar, d, Files.size(tar), d, MediaTypes.OCI_LAYER_TAR);
    }

    @Test
    void anUnchangedTarIsKnownWithTheRepositoryItWasPushedTo() throws Exception {
        LayerDigestCache cache = LayerDigestCache.in(tmp.resolve("cache"));
        Path tar = Files.writeString(tmp.resolve("a.tar"), "layer bytes", StandardCharsets.UTF_8);
        PackedLayer layer = layerOf(tar);
        cache.remember(layer, "lxc/app", LayerDigestCache.stamp(tar));
        assertEquals(Optional.of(new LayerDigestCache.Known(layer, "lxc/app")), cache.lookup(tar));
        assertEquals(Optional.empty(), LayerDigestCache.none().lookup(tar));
    }

    @Test
    void aTarRewrittenInPlaceWithItsOldSizeAndTimeIsNotTrusted() throws Exception {
        LayerDigestCache cache = LayerDigestCache.in(tmp.resolve("cache"));
        Path tar = Files.writeString(tmp.resolve("a.tar"), "layer bytes", StandardCharsets.UTF_8);
        FileTime mtime = Files.getLastModifiedTime(tar);
        cache.remember(layerOf(tar), "lxc/app", LayerDigestCache.stamp(tar));
        Thread.sleep(20); // the change time must be able to move
        Files.writeString(tar, "LAYER BYTES", StandardCharsets.UTF_8);
        Files.setLastModifiedTime(tar, mtime);
        assertEquals(Optional.empty(), cache.lookup(tar));
    }

    @Test
    void aTarChangedWhileItWasReadIsNotRemembered() throws Exception {
        LayerDigestCache cache = LayerDigestCache.in(tmp.resolve("cache"));
        Path tar = Files.writeString(tmp.resolve("a.tar"), "layer bytes", StandardCharsets.UTF_8);
        Optional<String> before = LayerDigestCache.stamp(tar);
        PackedLayer layer = layerOf(tar);
        Files.writeString(tar, "more layer bytes", StandardCharsets.UTF_8);
        cache.remember(layer, "lxc/app", before);
        assertEquals(Optional.empty(), cache.lookup(tar));
        assertTrue(before.isPresent());
    }
}
