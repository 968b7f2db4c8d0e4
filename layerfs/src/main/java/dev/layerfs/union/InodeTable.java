package dev.layerfs.union;

import dev.layerfs.sys.Stat;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The inode numbers the union reports (FUSE use_ino). Each underlying file (branch, inode)
 * gets a union number the first time it is seen; a copy-up makes the new upper file an
 * alias of the lower one, so a file keeps its number when it moves up, and hard links (one
 * underlying inode) share one number. Numbers live for the mount; the table grows with the
 * number of distinct files looked at.
 */
public final class InodeTable {

    /** A branch and an inode number in it (a branch is one file system; mounts inside one are not followed). */
    private record Key(int branch, long ino) {
    }

    private final ConcurrentHashMap<Key, Long> numbers = new ConcurrentHashMap<>();
    private final AtomicLong next = new AtomicLong(1);

    public long inode(int branch, Stat st) {
        return inode(branch, st.ino());
    }

    /** The union number of inode {@code ino} of {@code branch}; a directory listing's d_ino works too. */
    public long inode(int branch, long ino) {
        Key k = new Key(branch, ino);
        Long n = numbers.get(k);
        return n != null ? n : numbers.computeIfAbsent(k, x -> next.getAndIncrement());
    }

    /**
     * Records that {@code upper} (in branch 0) is the copied-up {@code lower}: the copy keeps the
     * number. If the lower file has other names, they are a different file from now on (the
     * copy-up broke the hard link), so they get a number of their own.
     */
    public void copiedUp(int lowerBranch, Stat lower, Stat upper) {
        numbers.put(new Key(0, upper.ino()), inode(lowerBranch, lower));
        if (lower.nlink() > 1 && !lower.isDirectory()) {
            numbers.put(new Key(lowerBranch, lower.ino()), next.getAndIncrement());
        }
    }

    /** The writable branch's inode {@code ino} is gone (its last name removed): a file reusing it is a new file. */
    public void removed(long ino) {
        numbers.remove(new Key(0, ino));
    }
}
