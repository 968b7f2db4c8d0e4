package dev.layerfs.wire;

import dev.layerfs.union.UnionFs;

import java.util.List;

/**
 * One merged listing of a union directory, as one READDIR stream hands it out. Its entries'
 * offsets (the cookies the kernel continues from) carry the listing's serial in their upper 32
 * bits and the entry's position + 1 in the lower: the kernel fills one listing cache per
 * directory from whichever open directory reads it, appending an entry only where the previous
 * one's cookie left off, so cookies unique to a listing keep it from stitching two listings
 * (two stacks, or before and after a name was added) into one.
 *
 * @param serial      unique among the listings of this mount (1 to 2^31 - 1, then around again)
 * @param node        the directory's node
 * @param stackChange how many branch changes the mount had seen when it was taken
 * @param entries     ".", ".." and the merged names
 */
record Listing(int serial, long node, long stackChange, List<UnionFs.Dirent> entries) {

    /** The offset after entry {@code index}: where the next read continues. */
    long cookie(int index) {
        return ((long) serial << 32) | (index + 1L);
    }

    /** The listing whose entry left a reader at {@code offset} (0: none, a reader at the start). */
    static int serialOf(long offset) {
        return (int) (offset >>> 32);
    }

    /** The position to continue from at {@code offset}, in the listing it came from. */
    static int indexOf(long offset) {
        return (int) Math.min(offset & 0xffffffffL, Integer.MAX_VALUE);
    }
}
