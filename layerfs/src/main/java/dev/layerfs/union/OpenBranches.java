package dev.layerfs.union;

import dev.layerfs.branch.BranchStack;
import dev.layerfs.sys.ErrnoException;
import dev.layerfs.sys.Errno;
import dev.layerfs.sys.Fs;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalInt;

/**
 * The branch stack with each branch's root held open as a directory descriptor: every name
 * below is resolved relative to these, never through path strings.
 *
 * <p>Each branch has an index (its position, top first, which changes when branches are added or
 * deleted above it) and an id that stays with it for the life of the mount: its position at
 * mount, or the next unused id for a branch added later. Ids name branches where a reference
 * outlives one operation (inode numbers, open files). The stack is replaced whole by
 * {@link #install}, only while the union holds its stack lock exclusively, so an operation
 * (holding the shared side) sees one stack from start to end.
 */
public final class OpenBranches implements AutoCloseable {

    /** The largest id an inode number can carry (16 bits, see {@link InodeTable}). */
    static final int MAX_ID = 0xFFFF;

    /** One stack with its open roots and ids, index-aligned. */
    public static final class Generation {
        private final BranchStack stack;
        private final int[] roots;
        private final int[] ids;
        private final boolean[] opened; // roots this generation opened, not taken over from the last one

        private Generation(BranchStack stack, int[] roots, int[] ids, boolean[] opened) {
            this.stack = stack;
            this.roots = roots;
            this.ids = ids;
            this.opened = opened;
        }

        public BranchStack stack() {
            return stack;
        }

        public int size() {
            return roots.length;
        }

        public int id(int branch) {
            return ids[branch];
        }

        public int root(int branch) {
            return roots[branch];
        }

        /** Where the branch with id {@code id} is in this stack, if it is part of it. */
        public OptionalInt indexOf(int id) {
            for (int i = 0; i < ids.length; i++) {
                if (ids[i] == id) {
                    return OptionalInt.of(i);
                }
            }
            return OptionalInt.empty();
        }

        /** The ids of the writable branches, top first. */
        public java.util.List<Integer> writableIds() {
            return stack.writableIndexes().stream().map(i -> ids[i]).toList();
        }

        /** Closes the roots this generation opened itself: used when it is dropped before install. */
        public void discard() {
            for (int i = 0; i < roots.length; i++) {
                if (opened[i]) {
                    Fs.close(roots[i]);
                }
            }
        }
    }

    private volatile Generation current;
    private int nextId;

    public OpenBranches(BranchStack stack) throws ErrnoException {
        int[] ids = new int[stack.size()];
        Arrays.setAll(ids, i -> i);
        this.nextId = ids.length;
        this.current = open(stack, ids, Map.of());
    }

    /** Opens the roots of {@code stack}, reusing {@code kept} (by directory) where given. */
    private static Generation open(BranchStack stack, int[] ids, Map<Path, Integer> kept) throws ErrnoException {
        int n = stack.size();
        int[] roots = new int[n];
        boolean[] opened = new boolean[n];
        Arrays.fill(roots, -1);
        try {
            for (int i = 0; i < n; i++) {
                Integer fd = kept.get(stack.get(i).dir());
                if (fd != null) {
                    roots[i] = fd;
                } else {
                    roots[i] = Fs.open(-100 /* AT_FDCWD */, stack.get(i).dir().toString(),
                            Fs.O_PATH | Fs.O_DIRECTORY, 0);
                    opened[i] = true;
                }
            }
        } catch (ErrnoException e) {
            new Generation(stack, roots, ids, opened).discard();
            throw new ErrnoException(e.errno(), "cannot open branch " + stack.get(firstUnopened(roots)).dir() + ": " + e.getMessage());
        }
        return new Generation(stack, roots, ids, opened);
    }

    private static int firstUnopened(int[] roots) {
        for (int i = 0; i < roots.length; i++) {
            if (roots[i] < 0) {
                return i;
            }
        }
        return roots.length - 1;
    }

    /**
     * Opens what {@code next} needs beyond the current stack, without changing anything yet:
     * a branch present now (same directory) keeps its id and root descriptor, a new one gets
     * the next unused id. Install or discard the result.
     */
    public Generation prepare(BranchStack next) throws ErrnoException {
        Generation cur = current;
        Map<Path, Integer> kept = new HashMap<>();
        Map<Path, Integer> keptIds = new HashMap<>();
        for (int i = 0; i < cur.roots.length; i++) {
            kept.put(cur.stack.get(i).dir(), cur.roots[i]);
            keptIds.put(cur.stack.get(i).dir(), cur.ids[i]);
        }
        int[] ids = new int[next.size()];
        int fresh = nextId;
        for (int i = 0; i < ids.length; i++) {
            Integer id = keptIds.get(next.get(i).dir());
            if (id == null) {
                if (fresh > MAX_ID) {
                    throw new ErrnoException(Errno.ENOSPC, "no branch id left for " + next.get(i).dir()
                            + ": " + MAX_ID + " branches were added during this mount; remount to start over");
                }
                id = fresh++;
            }
            ids[i] = id;
        }
        return open(next, ids, kept);
    }

    /** Makes {@code next} the stack; returns the one it replaces, whose roots stay open until {@link #retire}. */
    public Generation install(Generation next) {
        Generation old = current;
        current = next;
        nextId = Math.max(nextId, Arrays.stream(next.ids).max().orElse(-1) + 1);
        return old;
    }

    /** Closes the roots of {@code old}'s branches that the current stack no longer has. */
    public void retire(Generation old) {
        for (int i = 0; i < old.roots.length; i++) {
            if (current.indexOf(old.ids[i]).isEmpty()) {
                Fs.close(old.roots[i]);
            }
        }
    }

    /** The current stack with its roots and ids. */
    public Generation current() {
        return current;
    }

    public BranchStack stack() {
        return current.stack;
    }

    public int size() {
        return current.roots.length;
    }

    public int root(int branch) {
        return current.roots[branch];
    }

    /** The stable id of the branch now at index {@code branch}. */
    public int id(int branch) {
        return current.ids[branch];
    }

    /** Where the branch with id {@code id} is now, if it is still part of the union. */
    public OptionalInt indexOf(int id) {
        return current.indexOf(id);
    }

    public boolean writable() {
        return current.stack.writable().isPresent();
    }

    public boolean writable(int branch) {
        return current.stack.get(branch).mode().writable();
    }

    /** The writable branches, top first. */
    public java.util.List<Integer> writableBranches() {
        return current.stack.writableIndexes();
    }

    /** The topmost writable branch, or EROFS for a read-only union. */
    public int topWritable() throws ErrnoException {
        var writable = current.stack.writableIndexes();
        if (writable.isEmpty()) {
            throw new ErrnoException(Errno.EROFS, "read-only union: no rw branch in " + current.stack.spec());
        }
        return writable.get(0);
    }

    @Override
    public void close() {
        for (int fd : current.roots) {
            Fs.close(fd);
        }
    }
}
