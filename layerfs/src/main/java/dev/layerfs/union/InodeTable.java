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
 * <p>Writable branches on one file system share one number space, the id of the first of them:
 * inode numbers are unique within a file system, and a file moved or hard-linked from one such
 * branch to another by rename(2) or link(2) is the same inode, so it keeps its number with
 * nothing recorded, across remounts too. A branch's space is fixed the first time it is needed
 * during the mount.
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
    /** Branch id to the id its numbers carry (see the class comment). */
    private final ConcurrentHashMap<Integer, Integer> spaces = new ConcurrentHashMap<>();

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

    /** The number of inode {@code ino} of {@code branch} (an index) when nothing is recorded for it. */
    private long own(int branch, long ino) {
        int id = branches.id(branch);
        return derived(spaces.computeIfAbsent(id, i -> space(branch)), ino);
    }

    /** The id of the first writable branch on {@code branch}'s file system if it is writable, else its own. */
    private int space(int branch) {
        int id = branches.id(branch);
        if (!branches.writable(branch)) {
            return id;
        }
        try {
            String device = device(branch);
            int first = id;
            for (int b : branches.writableBranches()) {
                if (branches.id(b) < first && device.equals(device(b))) {
                    first = branches.id(b);
                }
            }
            return first;
        } catch (ErrnoException e) {
            LOG.debug("cannot stat the root of branch {}: {}", branches.stack().get(branch).dir(), e.toString());
            return id;
        }
    }

    private String device(int branch) throws ErrnoException {
        Stat st = dev.layerfs.sys.Fs.fstat(branches.root(branch));
        return st.devMajor() + ":" + st.devMinor();
    }

    /** The union root, whatever its inode in branch 0, is number 1. */
    public void root(Stat st) {
        upper.put(own(0, st.ino()), 1L);
    }

    public long inode(int branch, Stat st) {
        return inode(branch, st.ino());
    }

    /** The number of inode {@code ino} of {@code branch} (an index), from what this mount has seen. */
    public long inode(int branch, long ino) {
        long d = own(branch, ino);
        return upper.getOrDefault(d, d);
    }

    /** As {@link #inode(int, long)} for the branch with id {@code branchId}, wherever it is now (or was). */
    public long byId(int branchId, long ino) {
        long d = derived(spaces.getOrDefault(branchId, branchId), ino);
        return upper.getOrDefault(d, d);
    }

    /**
     * As {@link #inode(int, long)}, reading through {@code origin} the number a copy-up recorded
     * on a writable-branch file the first time it is seen this mount.
     */
    public long inode(int branch, long ino, OriginReader origin) {
        if (!branches.writable(branch)) {
            return inode(branch, ino);
        }
        return upper.computeIfAbsent(own(branch, ino), d -> {
            try {
                return origin.read().orElse(d);
            } catch (ErrnoException e) {
                LOG.debug("cannot read the recorded inode number of inode {} of writable branch {}: {}", ino,
                        branches.stack().get(branch).dir(), e.toString());
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

    /** Inode {@code upperIno} of writable {@code branch} is the copy that carries {@code number} (or its own number, if empty). */
    public void copiedUp(int branch, long upperIno, OptionalLong number) {
        long d = own(branch, upperIno);
        upper.put(d, number.orElse(d));
    }

    /** Inode {@code ino} of writable {@code branch} is gone (its last name removed): a file reusing it is a new file. */
    public void removed(int branch, long ino) {
        upper.remove(own(branch, ino));
    }
}
