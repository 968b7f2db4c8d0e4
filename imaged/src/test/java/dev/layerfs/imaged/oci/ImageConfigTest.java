package dev.layerfs.imaged.oci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class ImageConfigTest {

    private static final Digest A = Digest.of("a".getBytes());
    private static final Digest B = Digest.of("b".getBytes());

    @Test
    void stackingALayerKeepsTheBaseSettingsAndExtendsDiffIdsAndHistory() {
        String base = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Env\":[\"PATH=/bin\"],\"Cmd\":[\"/bin/sh\"]},"
                + "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" + A + "\"]},\"history\":[{\"created_by\":\"debootstrap\"}]}";
        ImageConfig stacked = ImageConfig.parse(base.getBytes(StandardCharsets.UTF_8)).withLayer(B, "imaged push");

        assertEquals(List.of(A, B), stacked.diffIds());
        String json = new String(stacked.toJson(), StandardCharsets.UTF_8);
        assertTrue(json.contains("\"Env\":[\"PATH=/bin\"]") && json.contains("\"Cmd\":[\"/bin/sh\"]"), json);
        assertTrue(json.contains("{\"created_by\":\"debootstrap\"},{\"created_by\":\"imaged push\"}"), json);
        assertEquals(List.of(A), ImageConfig.parse(base.getBytes(StandardCharsets.UTF_8)).diffIds(), "the original is unchanged");
    }

    @Test
    void aFreshConfigIsLinuxWithItsDiffIdsAndTheSameEveryTime() {
        ImageConfig config = ImageConfig.linux("amd64", List.of(A));
        assertEquals("linux", config.os());
        assertEquals("amd64", config.architecture());
        assertEquals(List.of(A), ImageConfig.parse(config.toJson()).diffIds());
        assertEquals(Digest.of(config.toJson()), Digest.of(ImageConfig.linux("amd64", List.of(A)).toJson()));
    }

    @Test
    void aConfigWithoutLayersOrWithABadDiffIdIsRejected() {
        IllegalArgumentException noRootfs = assertThrows(IllegalArgumentException.class,
                () -> ImageConfig.parse("{\"os\":\"linux\"}".getBytes(StandardCharsets.UTF_8)));
        assertTrue(noRootfs.getMessage().contains("rootfs"));
        IllegalArgumentException badDigest = assertThrows(IllegalArgumentException.class, () -> ImageConfig.parse(
                "{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"md5:abc\"]}}".getBytes(StandardCharsets.UTF_8)));
        assertTrue(badDigest.getMessage().contains("md5"), badDigest.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ImageConfig.parse("not json".getBytes(StandardCharsets.UTF_8)));
    }
}
