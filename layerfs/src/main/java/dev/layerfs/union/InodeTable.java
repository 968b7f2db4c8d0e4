package dev.layerfs.union;

import dev.layerfs.sys.ErrnoException;
import dev.layerfs.sys.Stat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The inode numbers the union reports (FUSE use_ino), the same across lookups, copy-up and
 * remounts. A file's number is derived from where it lives: its branch's id in the top 16 bits,
 * its inode number in that branch in the low 48 ({@link #derived}), so it needs no table and is
 * the same at every mount of the same branch stack. The id is the branch's position at mount
 * and stays with the branch when branches are added or deleted on the mounted union
 * ({@link OpenBranches}), so files keep their numbers across such changes. Hard links (one
 * underlying inode) share one number. A copy-up keeps the lower file's number: it is recorded
 * on the copy ({@link InodeOrigin}) and remembered here for the writable branch's inode. The
 * root is 1.
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

    private final OpenBranches branches;

    /**
     * Derived number to union number, for every writable-branch inode looked at this mount (kept
     * by branch id, so it stays right when the writable branch changes on a mounted union).
     */
    private final ConcurrentHashMap<Long, Long> upper = new ConcurrentHashMap<>();

    public InodeTable(OpenBranches branches) {
        this.branches = branches;
    }

    /** The number of inode {@code ino} of the branch with id {@code branchId} when nothing was recorded for it. */
    public static long derived(int branchId, long ino) {
        return ((long) branchId << INO_BITS) | (ino & INO_MASK);
    }

    private long top(long ino) {
        return derived(branches.id(0), ino);
    }

    /** The union root, whatever its inode in branch 0, is number 1. */
    public void root(Stat st) {
        upper.put(top(st.ino()), 1L);
    }

    public long inode(int branch, Stat st) {
        return inode(branch, st.ino());
    }

    /** The number of inode {@code ino} of {@code branch} (an index), from what this mount has seen. */
    public long inode(int branch, long ino) {
        return byId(branches.id(branch), ino);
    }

    /** As {@link #inode(int, long)} for the branch with id {@code branchId}, wherever it is now. */
    public long byId(int branchId, long ino) {
        long d = derived(branchId, ino);
        return upper.getOrDefault(d, d);
    }

    /**
     * As {@link #inode(int, long)}, reading through {@code origin} the number a copy-up recorded
     * on a writable-branch file the first time it is seen this mount.
     */
    public long inode(int branch, long ino, OriginReader origin) {
        if (branch != 0) {
            return inode(branch, ino);
        }
        return upper.computeIfAbsent(top(ino), d -> {
            try {
                return origin.read().orElse(d);
            } catch (ErrnoException e) {
                LOG.debug("cannot read the recorded inode number of writable inode {}: {}", ino, e.toString());
                return d;
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

    /** Writable inode {@code upperIno} is the copy-up that carries {@code number} (or its own number, if empty). */
    public void copiedUp(long upperIno, OptionalLong number) {
        long d = top(upperIno);
        upper.put(d, number.orElse(d));
    }

    /** The writable branch's inode {@code ino} is gone (its last name removed): a file reusing it is a new file. */
    public void removed(long ino) {
        upper.remove(top(ino));
    }
}
