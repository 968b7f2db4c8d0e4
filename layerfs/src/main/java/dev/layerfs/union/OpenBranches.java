package dev.layerfs.union;

import dev.layerfs.branch.BranchStack;
import dev.layerfs.sys.ErrnoException;
import dev.layerfs.sys.Errno;
import dev.layerfs.sys.Fs;

/**
 * The branch stack with each branch's root held open as a directory descriptor for the life of
 * the mount: every name below is resolved relative to these, never through path strings.
 */
public final class OpenBranches implements AutoCloseable {

    private final BranchStack stack;
    private final int[] roots;

    public OpenBranches(BranchStack stack) throws ErrnoException {
        this.stack = stack;
        this.roots = new int[stack.size()];
        java.util.Arrays.fill(roots, -1);
        try {
            for (int i = 0; i < roots.length; i++) {
                roots[i] = Fs.open(-100 /* AT_FDCWD */, stack.get(i).dir().toString(),
                        Fs.O_PATH | Fs.O_DIRECTORY, 0);
            }
        } catch (ErrnoException e) {
            close();
            throw e;
        }
    }

    public BranchStack stack() {
        return stack;
    }

    public int size() {
        return roots.length;
    }

    public int root(int branch) {
        return roots[branch];
    }

    public boolean writable() {
        return stack.writable().isPresent();
    }

    public boolean writable(int branch) {
        return stack.get(branch).mode().writable();
    }

    /** The writable branches, top first. */
    public java.util.List<Integer> writableBranches() {
        return stack.writableIndexes();
    }

    /** The topmost writable branch, or EROFS for a read-only union. */
    public int topWritable() throws ErrnoException {
        if (!writable()) {
            throw new ErrnoException(Errno.EROFS, "read-only union: no rw branch in " + stack.spec());
        }
        return stack.writableIndexes().get(0);
    }


    @Override
    public void close() {
        for (int fd : roots) {
            Fs.close(fd);
        }
    }
}
