package dev.layerfs.union;

import java.util.Locale;

/**
 * What {@code statfs} ({@code df}) reports for the union, mount option {@code statfs=}:
 * {@code top} (default) the figures of the top branch's file system, where writes land;
 * {@code sum} the sums over the branches' distinct file systems (each counted once).
 */
public enum StatfsMode {
    TOP, SUM;

    /** The mode named {@code value}, or IllegalArgumentException naming it. */
    public static StatfsMode parse(String value) {
        try {
            return valueOf(String.valueOf(value).toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown statfs=" + value + " (expected top or sum)");
        }
    }

    public String optionValue() {
        return name().toLowerCase(Locale.ROOT);
    }
}
