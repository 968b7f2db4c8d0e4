package dev.layerfs.imaged.layer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * PAX extended headers written and read as bytes. Commons Compress treats every PAX value as a
 * UTF-8 string, which mangles binary extended attributes (security.capability, ACLs). GNU tar,
 * Go and containerd store {@code SCHILY.xattr.NAME} values as raw bytes, so this class does too:
 * the packer writes each entry's PAX header itself, and the unpacker reads the raw records
 * beside what Commons parses.
 */
final class PaxHeaders {

    static final String XATTR = "SCHILY.xattr.";
    static final String LIBARCHIVE_XATTR = "LIBARCHIVE.xattr.";

    private static final long MAX_OCTAL_ID = 07777777L;
    private static final long MAX_OCTAL_SIZE = 077777777777L;

    private PaxHeaders() {
    }

    /** A tar writer whose own PAX handling is off: every PAX record comes from {@link #put}. */
    static TarArchiveOutputStream writer(java.io.OutputStream out) {
        TarArchiveOutputStream tar = new TarArchiveOutputStream(out, "UTF-8");
        tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_TRUNCATE); // the PAX path record carries the full name
        tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_STAR);   // and uid, gid, size beyond the octal fields
        tar.setAddPaxHeadersForNonAsciiNames(false);
        return tar;
    }

    /** Writes {@code entry}, preceded by a PAX header with every record it needs, in sorted order. */
    static void put(TarArchiveOutputStream tar, TarArchiveEntry entry, Map<String, byte[]> xattrs) throws IOException {
        Map<String, byte[]> records = new TreeMap<>();
        if (needsRecord(entry.getName(), 100)) {
            records.put("path", utf8(entry.getName()));
        }
        if (!entry.getLinkName().isEmpty() && needsRecord(entry.getLinkName(), 100)) {
            records.put("linkpath", utf8(entry.getLinkName()));
        }
        if (entry.getLongUserId() > MAX_OCTAL_ID) {
            records.put("uid", utf8(Long.toString(entry.getLongUserId())));
        }
        if (entry.getLongGroupId() > MAX_OCTAL_ID) {
            records.put("gid", utf8(Long.toString(entry.getLongGroupId())));
        }
        if (entry.getSize() > MAX_OCTAL_SIZE) {
            records.put("size", utf8(Long.toString(entry.getSize())));
        }
        long mtime = entry.getLastModifiedTime().to(java.util.concurrent.TimeUnit.SECONDS);
        if (mtime < 0 || mtime > MAX_OCTAL_SIZE) {
            records.put("mtime", utf8(Long.toString(mtime)));
        }
        xattrs.forEach((name, value) -> records.put(XATTR + name, value));
        if (!records.isEmpty()) {
            byte[] data = encode(records);
            TarArchiveEntry pax = new TarArchiveEntry("PaxHeaders/" + asciiBaseName(entry.getName()), TarConstants.LF_PAX_EXTENDED_HEADER_LC);
            pax.setSize(data.length);
            pax.setModTime(entry.getLastModifiedTime());
            pax.setUserName("");
            pax.setGroupName("");
            tar.putArchiveEntry(pax);
            tar.write(data);
            tar.closeArchiveEntry();
        }
        tar.putArchiveEntry(entry);
    }

    /** {@code LEN KEY=VALUE\n}, where LEN counts the whole record including its own digits. */
    static byte[] encode(Map<String, byte[]> records) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        records.forEach((key, value) -> {
            int body = utf8(key).length + value.length + 3; // ' ', '=', '\n'
            int len = body + Integer.toString(body).length();
            if (Integer.toString(len).length() != Integer.toString(body).length()) {
                len++; // the length grew a digit by counting itself
            }
            out.writeBytes(utf8(len + " " + key + "="));
            out.writeBytes(value);
            out.write('\n');
        });
        return out.toByteArray();
    }

    /** Parses PAX records from raw bytes; stops quietly at the first thing that is not one. */
    static Map<String, byte[]> decode(byte[] data) {
        Map<String, byte[]> records = new TreeMap<>();
        int pos = 0;
        while (pos < data.length) {
            int space = pos;
            long len = 0;
            while (space < data.length && data[space] >= '0' && data[space] <= '9' && space - pos < 10) {
                len = len * 10 + (data[space] - '0');
                space++;
            }
            if (space == pos || space >= data.length || data[space] != ' ' || len <= space - pos + 1 || pos + len > data.length
                    || data[(int) (pos + len - 1)] != '\n') {
                break;
            }
            int end = (int) (pos + len - 1);
            int eq = space + 1;
            while (eq < end && data[eq] != '=') {
                eq++;
            }
            if (eq == end) {
                break;
            }
            String key = new String(data, space + 1, eq - space - 1, StandardCharsets.UTF_8);
            records.put(key, java.util.Arrays.copyOfRange(data, eq + 1, end));
            pos = end + 1;
        }
        return records;
    }

    /** Extended attributes of an entry: raw SCHILY.xattr bytes where we have them, libarchive's base64 form too. */
    static Map<String, byte[]> xattrs(TarArchiveEntry entry, Map<String, byte[]> rawRecords) {
        Map<String, byte[]> result = new TreeMap<>();
        for (Map.Entry<String, String> h : entry.getExtraPaxHeaders().entrySet()) {
            String key = h.getKey();
            if (key.startsWith(XATTR)) {
                byte[] raw = rawRecords.get(key);
                result.put(key.substring(XATTR.length()), raw != null ? raw : utf8(h.getValue()));
            } else if (key.startsWith(LIBARCHIVE_XATTR)) {
                String name = java.net.URLDecoder.decode(key.substring(LIBARCHIVE_XATTR.length()), StandardCharsets.UTF_8);
                result.put(name, java.util.Base64.getDecoder().decode(h.getValue().trim()));
            }
        }
        return result;
    }

    private static boolean needsRecord(String value, int field) {
        byte[] bytes = utf8(value);
        if (bytes.length >= field) {
            return true;
        }
        for (byte b : bytes) {
            if (b < 0) {
                return true; // non-ASCII: the ustar field has no declared encoding
            }
        }
        return false;
    }

    private static String asciiBaseName(String name) {
        String trimmed = name.endsWith("/") ? name.substring(0, name.length() - 1) : name;
        String base = trimmed.substring(trimmed.lastIndexOf('/') + 1).replaceAll("[^\\x21-\\x7e]", "_");
        return base.length() > 80 ? base.substring(0, 80) : base;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /**
     * A tar reader that also keeps the raw bytes of the PAX records before each entry. Commons
     * reads PAX data through this stream's own {@code read} while inside getNextEntry, so they
     * are captured there.
     */
    static final class RawReader extends TarArchiveInputStream {
        private ByteArrayOutputStream captured;
        private int depth;
        private Map<String, byte[]> records = Map.of();

        RawReader(java.io.InputStream in) {
            super(in, "UTF-8");
        }

        @Override
        public TarArchiveEntry getNextEntry() throws IOException {
            if (depth++ == 0) {
                captured = new ByteArrayOutputStream();
            }
            try {
                return super.getNextEntry(); // Commons recurses here after each extended header
            } finally {
                if (--depth == 0) {
                    records = decode(captured.toByteArray());
                    captured = null;
                }
            }
        }

        @Override
        public int read(byte[] buf, int off, int len) throws IOException {
            int n = super.read(buf, off, len);
            if (captured != null && n > 0) {
                captured.write(buf, off, n);
            }
            return n;
        }

        /** The raw PAX records that preceded the entry getNextEntry last returned. */
        Map<String, byte[]> records() {
            return records;
        }
    }
}
