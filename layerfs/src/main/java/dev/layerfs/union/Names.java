package dev.layerfs.union;

/**
 * AUFS naming conventions, which are also the OCI image-layer conventions: {@code .wh.NAME}
 * hides NAME in lower branches, {@code .wh..wh..opq} makes its directory hide everything below.
 * Every {@code .wh.} name is layerfs's own bookkeeping: never listed, never looked up, never
 * created through the mount.
 */
public final class Names {

    public static final String WHITEOUT_PREFIX = ".wh.";
    public static final String META_PREFIX = ".wh..wh.";
    public static final String OPAQUE = ".wh..wh..opq";
    /** Copy-ups are assembled here, at each writable branch's root, then renamed into place. */
    public static final String WORK_DIR = ".wh..wh.work";

    private Names() {
    }

    public static boolean isReserved(String name) {
        return name.startsWith(WHITEOUT_PREFIX);
    }

    public static String whiteout(String name) {
        return WHITEOUT_PREFIX + name;
    }
}
