package dev.layerfs.imaged.layer;

import java.io.IOException;

/**
 * A layer archive that cannot be unpacked safely or is damaged: an entry that would land
 * outside the layer directory, a link through or to where it must not go, an absurd size, a
 * corrupt or truncated stream. Names the entry (when one is to blame) so the user sees which.
 */
public class LayerRefusedException extends IOException {

    private final String entry;

    public LayerRefusedException(String entry, String reason) {
        super(entry == null ? reason : "layer entry '" + entry + "': " + reason);
        this.entry = entry;
    }

    public LayerRefusedException(String entry, String reason, Throwable cause) {
        this(entry, reason);
        initCause(cause);
    }

    /** The offending entry's name as it appears in the archive, or null for stream-level damage. */
    public String entry() {
        return entry;
    }
}
