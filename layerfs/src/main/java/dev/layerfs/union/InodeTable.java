package dev.layerfs.union;

import dev.layerfs.sys.Stat;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The inode numbers the union reports (FUSE use_ino). Each underlying file (branch, device,
 * inode) gets a union number the first time it is seen; a copy-up makes the new upper file an
 * alias of the lower one, so a file keeps its number when it moves up, and hard links (one
 * underlying inode) share one number. Numbers live for the mount; the table grows with the
 * number of distinct files looked at.
 */
public final class InodeTable {

    private record Key(int branch, long dev, long ino) {
    }

    private final ConcurrentHashMap<Key, Long> numbers = new ConcurrentHashMap<>();
    private final AtomicLong next = new AtomicLong(1);

    private static Key key(int branch, Stat st) {
        return new Key(branch, ((long) st.devMajor() << 32) | st.devMinor(), st.ino());
    }

    public long inode(int branch, Stat st) {
        Key k = key(branch, st);
        Long n = numbers.get(k);
        return n != null ? n : numbers.computeIfAbsent(k, x -> next.getAndIncrement());
    }

    /** Records that {@code upper} (in branch 0) is the copied-up {@code lower} (in {@code lowerBranch}). */
    public void alias(int lowerBranch, Stat lower, Stat upper) {
        numbers.put(key(0, upper), inode(lowerBranch, lower));
    }
}
