package dev.layerfs.imaged.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ImageRefTest {

    @Test
    void repositoryAndTagAreSplitAtTheLastColon() {
        assertEquals(new ImageRef("lxc/debian", "12.5"), ImageRef.parse("lxc/debian:12.5"));
        assertEquals(new ImageRef("busybox", "latest"), ImageRef.parse("busybox"));
        String digest = "sha256:" + "a".repeat(64);
        ImageRef byDigest = ImageRef.parse("lxc/debian@" + digest);
        assertTrue(byDigest.isByDigest());
        assertEquals("lxc/debian@" + digest, byDigest.toString());
    }

    @Test
    void malformedReferencesAreRejectedNamingTheValue() {
        for (String bad : new String[] {"Upper/Case:1", "repo:bad tag", "repo:", "../etc:1", "repo@sha256:xyz", "", "a//b:1"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ImageRef.parse(bad), bad);
            assertTrue(bad.isEmpty() || e.getMessage().contains("'" + bad + "'"), e.getMessage());
        }
    }
}
