package dev.layerfs.branch;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/** How a branch may be used, in AUFS's words. */
public enum BranchMode {
    /** Writable: new files, copy-ups and whiteouts land here. */
    RW,
    /** Read-only: never written, but may hold whiteouts that hide branches below it. */
    RO,
    /** Real read-only: never written and never changes, e.g. a shared base image. */
    RR;

    public static Optional<BranchMode> parse(String text) {
        return Arrays.stream(values()).filter(m -> m.label().equals(text)).findFirst();
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    public boolean writable() {
        return this == RW;
    }
}
