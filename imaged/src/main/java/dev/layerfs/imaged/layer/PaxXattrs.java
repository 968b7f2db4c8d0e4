package dev.layerfs.imaged.layer;

import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.TreeMap;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;

/**
 * Extended attributes in PAX headers. Text values go in {@code SCHILY.xattr.NAME} (GNU tar, Go,
 * containerd). Commons Compress reads and writes PAX values as UTF-8 strings, so a binary value
 * (security.capability, ACLs) would be mangled there; those go in libarchive's binary-safe
 * {@code LIBARCHIVE.xattr.<url-encoded NAME>=<base64>} instead, which bsdtar also reads.
 */
final class PaxXattrs {

    static final String SCHILY = "SCHILY.xattr.";
    static final String LIBARCHIVE = "LIBARCHIVE.xattr.";

    private PaxXattrs() {
    }

    static void add(TarArchiveEntry entry, String name, byte[] value) {
        String text = utf8(value);
        if (text != null && text.indexOf('\0') < 0) {
            entry.addPaxHeader(SCHILY + name, text);
        } else {
            entry.addPaxHeader(LIBARCHIVE + URLEncoder.encode(name, StandardCharsets.UTF_8),
                    Base64.getEncoder().encodeToString(value));
        }
    }

    /** The xattrs an entry carries, by name; a libarchive value wins over a SCHILY one. */
    static Map<String, byte[]> read(TarArchiveEntry entry) {
        Map<String, byte[]> result = new TreeMap<>();
        for (Map.Entry<String, String> h : entry.getExtraPaxHeaders().entrySet()) {
            if (h.getKey().startsWith(SCHILY)) {
                result.putIfAbsent(h.getKey().substring(SCHILY.length()), h.getValue().getBytes(StandardCharsets.UTF_8));
            }
        }
        for (Map.Entry<String, String> h : entry.getExtraPaxHeaders().entrySet()) {
            if (h.getKey().startsWith(LIBARCHIVE)) {
                String name = URLDecoder.decode(h.getKey().substring(LIBARCHIVE.length()), StandardCharsets.UTF_8);
                result.put(name, Base64.getDecoder().decode(h.getValue().trim()));
            }
        }
        return result;
    }

    private static String utf8(byte[] value) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(value)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }
}
