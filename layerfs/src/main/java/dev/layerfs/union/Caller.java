package dev.layerfs.union;

/** Who asks for a new file: it will be owned by them. */
public record Caller(int uid, int gid) {
    public static final Caller ROOT = new Caller(0, 0);
}
