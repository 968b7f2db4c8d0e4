package dev.layerfs.imaged.layer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class PaxHeadersTest {

    @Test
    void recordsOfEverySizeRoundTripByteForByteIncludingAcrossLengthDigitBoundaries() {
        for (int size = 0; size < 1100; size++) {
            byte[] value = new byte[size];
            for (int i = 0; i < size; i++) {
                value[i] = (byte) (i * 37 + 128); // not UTF-8, NULs and newlines included
            }
            Map<String, byte[]> records = new TreeMap<>(Map.of("SCHILY.xattr.user.v", value, "path", "a/b".getBytes(StandardCharsets.UTF_8)));
            Map<String, byte[]> decoded = PaxHeaders.decode(PaxHeaders.encode(records));
            assertEquals(records.keySet(), decoded.keySet(), "size " + size);
            assertArrayEquals(value, decoded.get("SCHILY.xattr.user.v"), "size " + size);
        }
    }

    @Test
    void aRecordLengthCountsItsOwnDigits() {
        assertEquals("12 path=abc\n", new String(PaxHeaders.encode(Map.of("path", "abc".getBytes())), StandardCharsets.UTF_8));
        // "path=" + 91 bytes + " " + "\n" = 98 bytes before the length; with "100" it becomes 101.
        byte[] encoded = PaxHeaders.encode(Map.of("path", "x".repeat(91).getBytes()));
        assertEquals(101, encoded.length);
        assertEquals("101 ", new String(encoded, 0, 4, StandardCharsets.UTF_8));
    }

    @Test
    void decodingStopsQuietlyAtSomethingThatIsNotARecord() {
        assertEquals(Map.of(), PaxHeaders.decode("not a pax record".getBytes()));
        Map<String, byte[]> partial = PaxHeaders.decode("12 path=abc\n99 truncated".getBytes());
        assertEquals(1, partial.size());
        assertArrayEquals("abc".getBytes(), partial.get("path"));
    }
}
