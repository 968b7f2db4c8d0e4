package dev.layerfs.imaged.layer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Writes tar headers byte by byte, so tests can build archives no well-behaved library would:
 * absolute names, {@code ..}, links to anywhere, lying size fields.
 */
public final class RawTar {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    public RawTar file(String name, byte[] data) {
        header(name, '0', data.length, "");
        out.writeBytes(data);
        pad(data.length);
        return this;
    }

    public RawTar dir(String name) {
        header(name, '5', 0, "");
        return this;
    }

    public RawTar symlink(String name, String target) {
        header(name, '2', 0, target);
        return this;
    }

    public RawTar hardlink(String name, String target) {
        header(name, '1', 0, target);
        return this;
    }

    /** A regular-file header claiming {@code size} bytes (base-256 encoded), followed by {@code actual} bytes. */
    public RawTar fileClaiming(String name, long size, byte[] actual) {
        header(name, '0', size, "");
        out.writeBytes(actual);
        pad(actual.length);
        return this;
    }

    public byte[] finish() {
        out.writeBytes(new byte[1024]);
        return out.toByteArray();
    }

    private void pad(long n) {
        int rem = (int) (n % 512);
        if (rem != 0) {
            out.writeBytes(new byte[512 - rem]);
        }
    }

    private void header(String name, char type, long size, String link) {
        byte[] h = new byte[512];
        put(h, 0, 100, name.getBytes(StandardCharsets.UTF_8));
        octal(h, 100, 8, 0644);
        octal(h, 108, 8, 0);
        octal(h, 116, 8, 0);
        if (size < 077777777777L) {
            octal(h, 124, 12, size);
        } else {
            h[124] = (byte) 0x80; // base-256: big-endian in the remaining 11 bytes
            for (int i = 0; i < 8; i++) {
                h[135 - i] = (byte) (size >>> (8 * i));
            }
        }
        octal(h, 136, 12, 1_600_000_000L);
        h[156] = (byte) type;
        put(h, 157, 100, link.getBytes(StandardCharsets.UTF_8));
        put(h, 257, 6, "ustar\0".getBytes(StandardCharsets.US_ASCII));
        put(h, 263, 2, "00".getBytes(StandardCharsets.US_ASCII));
        for (int i = 148; i < 156; i++) {
            h[i] = ' ';
        }
        long sum = 0;
        for (byte b : h) {
            sum += b & 0xff;
        }
        put(h, 148, 8, String.format("%06o\0 ", sum).getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(h);
    }

    private static void octal(byte[] h, int off, int len, long value) {
        String s = String.format("%0" + (len - 1) + "o", value);
        put(h, off, len, (s + "\0").getBytes(StandardCharsets.US_ASCII));
    }

    private static void put(byte[] h, int off, int len, byte[] value) {
        if (value.length > len) {
            throw new IllegalArgumentException("field too long: " + new String(value, StandardCharsets.UTF_8));
        }
        System.arraycopy(value, 0, h, off, value.length);
    }
}
