package dev.layerfs.union;

import dev.layerfs.sys.ErrnoException;
import dev.layerfs.sys.Stat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The inode numbers the union reports (FUSE use_ino), the same across lookups, copy-up and
 * remounts. A file's number is derived from where it lives: branch index in the top 16 bits,
 * its inode number in that branch in the low 48 ({@link #derived}), so it needs no table and is
 * the same at every mount of the same branch stack. Hard links (one underlying inode) share
 * one number. A copy-up keeps the lower file's number: it is recorded on the copy
 * ({@link InodeOrigin}) and remembered here for the writable branch's inode (keyed by branch and
 * inode, as there may be several writable branches). The root is 1.
 *
 * <p>Writable branches on one file system share one number space (the index of the first of
 * them): inode numbers are unique within a file system, and a file moved or hard-linked from
 * one such branch to another by rename(2) or link(2) is the same inode, so it keeps its number
 * with nothing recorded, across remounts too.
 *
 * <p>A copy-up of a lower file with several names makes the copy a file of its own (the other
 * names keep the lower file): it takes its own derived number, so no two files ever share one.
 */
public final class InodeTable {

    private static final Logger LOG = LoggerFactory.getLogger(InodeTable.class);
    private static final int INO_BITS = 48;
    private static final long INO_MASK = (1L << INO_BITS) - 1;

    /** Reads the number recorded on a writable-branch file, if any. */
    @FunctionalInterface
    public interface OriginReader {
        OptionalLong read() throws ErrnoException;
    }

    /** Writable-branch inode (as {@link #derived}) to union number, for every such inode looked at this mount. */
    private final ConcurrentHashMap<Long, Long> upper = new ConcurrentHashMap<>();
    private final java.util.function.IntPredicate writable;
    private final java.util.function.IntUnaryOperator numberSpace;

    /** A table for a union whose only writable branch is branch 0. */
    public InodeTable() {
        this(b -> b == 0, b -> b);
    }

    /**
     * @param writable    which branches are writable
     * @param numberSpace the branch whose index a branch's numbers carry: the first writable
     *                    branch on its file system for a writable branch, itself otherwise
     */
    public InodeTable(java.util.function.IntPredicate writable, java.util.function.IntUnaryOperator numberSpace) {
        this.writable = writable;
        this.numberSpace = numberSpace;
    }

    /** The number of inode {@code ino} of {@code branch} when nothing is recorded for it, in its number space. */
    private long own(int branch, long ino) {
        return derived(numberSpace.applyAsInt(branch), ino);
    }

    /** The number of inode {@code ino} of branch {@code branch} when nothing was recorded for it. */
    public static long derived(int branch, long ino) {
        return ((long) branch << INO_BITS) | (ino & INO_MASK);
    }

    /** The union root, whatever its inode in branch 0, is number 1. */
    public void root(Stat st) {
        upper.put(derived(0, st.ino()), 1L);
    }

    public long inode(int branch, Stat st) {
        return inode(branch, st.ino());
    }

    /** The number of inode {@code ino} of {@code branch}, from what this mount has seen. */
    public long inode(int branch, long ino) {
        Long n = upper.get(own(branch, ino));
        return n != null ? n : own(branch, ino);
    }

    /**
     * As {@link #inode(int, long)}, reading through {@code origin} the number a copy-up recorded
     * on a writable-branch file the first time it is seen this mount.
     */
    public long inode(int branch, long ino, OriginReader origin) {
        long own = own(branch, ino);
        if (!writable.test(branch)) {
            Long root = branch == 0 ? upper.get(own) : null;
            return root != null ? root : own;
        }
        return upper.computeIfAbsent(own, i -> {
            try {
                return origin.read().orElse(own);
            } catch (ErrnoException e) {
                LOG.debug("cannot read the recorded inode number of inode {} of writable branch {}: {}", ino, branch, e.toString());
                return own;
            }
        });
    }

    /**
     * The number a copy of {@code lower} (of {@code lowerBranch}) is to carry: its own number,
     * unless it has other names, which stay the lower file while the copy becomes a new one.
     */
    public OptionalLong numberForCopy(int lowerBranch, Stat lower, OriginReader origin) {
        if (lower.nlink() > 1 && !lower.isDirectory()) {
            return OptionalLong.empty();
        }
        return OptionalLong.of(inode(lowerBranch, lower.ino(), origin));
    }

    /** Inode {@code upperIno} of writable {@code branch} is the copy that carries {@code number} (or its own number, if empty). */
    public void copiedUp(int branch, long upperIno, OptionalLong number) {
        upper.put(own(branch, upperIno), number.orElse(own(branch, upperIno)));
    }

    /** Inode {@code ino} of writable {@code branch} is gone (its last name removed): a file reusing it is a new file. */
    public void removed(int branch, long ino) {
        upper.remove(own(branch, ino));
    }
}
