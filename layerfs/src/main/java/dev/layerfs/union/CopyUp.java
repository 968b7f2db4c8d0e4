package dev.layerfs.union;

import dev.layerfs.sys.Errno;
import dev.layerfs.sys.ErrnoException;
import dev.layerfs.sys.Fs;
import dev.layerfs.sys.Stat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Brings an entry of a read-only branch up into a writable branch before it changes: data, mode,
 * owner, timestamps and extended attributes, parent directories first, each with its own
 * metadata. An entry already in a writable branch is changed where it is. Which writable branch
 * a copy goes to is the {@code cpup=} policy's choice ({@link Placement}). A copy is assembled
 * under a temporary name in the target branch's work directory ({@value Names#WORK_DIR}) and
 * renamed into place under the path's lock, so nobody ever sees a half-copied file and two
 * racing writers copy once.
 *
 * <p>Durability: a copied regular file's data is fsynced before the rename, so after a crash a
 * name shows either the complete copy or the lower original, never a short file. The rename
 * itself is not fsynced: a crash may lose a recent copy-up (the name reverts to the lower file,
 * with it any changes made since that the user did not fsync). {@code fsync} through the mount
 * also syncs the parent directory in the writable branch, making the copy-up durable.
 */
public final class CopyUp {

    private static final Logger LOG = LoggerFactory.getLogger(CopyUp.class);

    private final Lookup lookup;
    private final OpenBranches branches;
    private final InodeTable inodes;
    private final PathLocks locks;
    private final WorkDirs work;
    private final Placement placement;
    private final AtomicLong tempCounter = new AtomicLong();
    private final AtomicLong completed = new AtomicLong();

    CopyUp(Lookup lookup, InodeTable inodes, PathLocks locks, WorkDirs work, Placement placement) {
        this.lookup = lookup;
        this.branches = lookup.branches();
        this.inodes = inodes;
        this.locks = locks;
        this.work = work;
        this.placement = placement;
    }

    /** A writable branch and a path-only descriptor on a directory in it; closing closes the descriptor. */
    public record Target(int branch, int dir) implements AutoCloseable {
        @Override
        public void close() {
            Fs.close(dir);
        }
    }

    /**
     * How many copy-ups have put a copy in place so far (counted after the copy shows). Files
     * opened from a read-only branch compare it on read to notice they may have been copied up.
     */
    public long completed() {
        return completed.get();
    }

    /** A fresh name in a work directory, for assembling an entry before it appears. */
    public String tempName() {
        return "tmp." + ProcessHandle.current().pid() + "." + tempCounter.incrementAndGet();
    }

    /** The work directory of writable branch {@code branch}. */
    int workDir(int branch) {
        return work.of(branch);
    }

    OpenBranches branches() {
        return branches;
    }

    /** Whether branches {@code a} and {@code b} are on one file system, so a file can move or link between them. */
    boolean sameFileSystem(int a, int b) throws ErrnoException {
        Stat sa = Fs.fstat(branches.root(a));
        Stat sb = Fs.fstat(branches.root(b));
        return sa.devMajor() == sb.devMajor() && sa.devMinor() == sb.devMinor();
    }

    /**
     * Before file {@code name} (status {@code st}) of writable {@code branch} gets a name in
     * writable branch {@code to} by rename or link: records its union number on it, so the
     * names in both branches show that one number. Symlinks carry none.
     */
    void numberMovesWith(int branch, int dirFd, String name, Stat st, int to) throws ErrnoException {
        OptionalLong number = st.isSymlink() ? OptionalLong.empty()
                : OptionalLong.of(inodes.inode(branch, st.ino(), () -> InodeOrigin.read(dirFd, name)));
        if (number.isPresent()) {
            InodeOrigin.record(dirFd, name, number.getAsLong());
        }
        inodes.copiedUp(to, st.ino(), number);
    }

    /**
     * Inode {@code ino} of writable {@code branch} was just created by the union: it carries no
     * recorded number, so its own is known without reading one.
     */
    void madeNew(int branch, long ino) {
        inodes.copiedUp(branch, ino, OptionalLong.empty());
    }

    Placement placement() {
        return placement;
    }

    /** A path-only descriptor on directory {@code dir} in {@code branch} if it is there, else -1. Copies nothing. */
    public int existingDir(int branch, UnionPath dir) throws ErrnoException {
        int cur = Fs.open(branches.root(branch), ".", Fs.O_PATH | Fs.O_DIRECTORY, 0);
        for (String name : dir.components()) {
            int fd = Fs.openDirectory(cur, name);
            Fs.close(cur);
            if (fd < 0) {
                return -1;
            }
            cur = fd;
        }
        return cur;
    }

    /**
     * A path-only descriptor on directory {@code dir} in writable branch {@code branch}, its
     * missing directories first copied there (each with the metadata of the one that shows).
     * The caller closes it.
     */
    public int dirIn(int branch, UnionPath dir) throws ErrnoException {
        try (DirView view = lookup.resolvedOrNull(dir)) { // a remembered directory: no walk
            int level = view == null ? -1 : view.levelOf(branch);
            if (level >= 0) {
                return Fs.open(view.fd(level), ".", Fs.O_PATH | Fs.O_DIRECTORY, 0);
            }
        }
        int cur = Fs.open(branches.root(branch), ".", Fs.O_PATH | Fs.O_DIRECTORY, 0);
        try {
            UnionPath prefix = UnionPath.ROOT;
            for (String name : dir.components()) {
                prefix = prefix.child(name);
                int fd = Fs.openDirectory(cur, name);
                if (fd < 0) {
                    copyUpDirectory(prefix, branch, cur);
                    fd = Fs.openDirectory(cur, name);
                    if (fd < 0) {
                        throw new ErrnoException(Errno.ENOENT, "directory vanished during copy-up: " + prefix);
                    }
                }
                Fs.close(cur);
                cur = fd;
            }
            return cur;
        } catch (ErrnoException | RuntimeException e) {
            Fs.close(cur);
            throw e;
        }
    }

    /**
     * Makes sure {@code path} is in a writable branch: where it is if it is in one already,
     * else copied up to the branch the copy-up policy chooses. Returns that branch and a
     * descriptor on the parent directory there.
     */
    public Target writable(UnionPath path) throws ErrnoException {
        return writable(path, Long.MAX_VALUE);
    }

    /**
     * As {@link #writable(UnionPath)}, copying at most {@code keepBytes} of a regular file's
     * data: the caller is about to truncate it to that size (0 for an open with O_TRUNC), so
     * the rest would be copied only to be thrown away.
     */
    public Target writable(UnionPath path, long keepBytes) throws ErrnoException {
        if (path.isRoot()) {
            int top = branches.topWritable();
            return new Target(top, Fs.open(branches.root(top), ".", Fs.O_PATH | Fs.O_DIRECTORY, 0));
        }
        if (placement.onlyTop()) {
            return entryIn(0, path, keepBytes);
        }
        int branch;
        try (DirView view = lookup.openDir(path.parent())) {
            Entry e = lookup.entry(view, path);
            branch = branches.writable(e.branch()) ? e.branch()
                    : placement.forCopyUp(view, path, e.branch(), Integer.MAX_VALUE);
        }
        return entryIn(branch, path, keepBytes);
    }

    /**
     * Makes sure the entry at {@code path} is in writable branch {@code branch}, copying the
     * one that shows there if it is not. Returns a descriptor on its parent directory there.
     */
    public Target entryIn(int branch, UnionPath path, long keepBytes) throws ErrnoException {
        int parent = dirIn(branch, path.parent());
        try {
            if (!Fs.exists(parent, path.name())) {
                try (PathLocks.Held held = locks.lock(path)) {
                    if (!Fs.exists(parent, path.name())) {
                        try (DirView view = lookup.openDir(path.parent())) {
                            Entry e = lookup.entry(view, path);
                            if (e.branch() < branch && branches.writable(e.branch())) {
                                // copied up above meanwhile (a racing writer's policy chose another branch): use that copy
                                Fs.close(parent);
                                parent = -1;
                                return new Target(e.branch(), Fs.open(view.fd(e.level()), ".", Fs.O_PATH | Fs.O_DIRECTORY, 0));
                            }
                            copy(view.fd(e.level()), e, branch, parent, path.name(), path, keepBytes);
                        }
                    }
                }
            }
            return new Target(branch, parent);
        } catch (ErrnoException | RuntimeException e) {
            Fs.close(parent);
            throw e;
        }
    }

    private void copyUpDirectory(UnionPath dir, int branch, int upperParent) throws ErrnoException {
        try (PathLocks.Held held = locks.lock(dir)) {
            if (Fs.exists(upperParent, dir.name())) {
                return; // copied by someone else meanwhile, or a non-directory: the caller's reopen decides
            }
            try (DirView view = lookup.openDir(dir.parent())) {
                Entry e = lookup.entry(view, dir);
                if (!e.stat().isDirectory()) {
                    throw new ErrnoException(Errno.ENOTDIR, "not a directory: " + dir);
                }
                copy(view.fd(e.level()), e, branch, upperParent, dir.name(), dir, 0);
            }
        }
    }

    /** Copies one entry (not a directory's content) from {@code srcParent} to {@code upperParent} of writable {@code branch}. */
    void copy(int srcParent, Entry e, int branch, int upperParent, String name, UnionPath path, long keepBytes)
            throws ErrnoException {
        if (!e.stat().isDirectory()) {
            copyInto(srcParent, e, branch, upperParent, name, path, keepBytes);
            return;
        }
        try {
            copyInto(srcParent, e, branch, upperParent, name, path, keepBytes);
        } finally {
            lookup.directoryChanged(path); // the directory gained a level in a writable branch
        }
    }

    private void copyInto(int srcParent, Entry e, int branch, int upperParent, String name, UnionPath path, long keepBytes)
            throws ErrnoException {
        int work = this.work.of(branch);
        String tmp = assemble(srcParent, e, branch, name, path, keepBytes);
        try {
            Stat parentBefore = Fs.fstat(upperParent);
            Fs.rename(work, tmp, upperParent, name);
            // the union's directory did not change, so neither does its modification time
            Fs.utimens(upperParent, ".", new long[] {parentBefore.atimeSec(), parentBefore.atimeNsec(),
                    parentBefore.mtimeSec(), parentBefore.mtimeNsec()});
        } catch (ErrnoException ex) {
            LOG.warn("copy-up of {} from {} failed: {}", path, branches.stack().get(e.branch()).dir(), ex.toString());
            removeQuietly(work, tmp, e.stat().isDirectory());
            throw ex;
        }
        inodes.copiedUp(branch, Fs.stat(upperParent, name).ino(), numberFor(srcParent, e, name));
        completed.incrementAndGet();
        LOG.debug("copied up {} from branch {} to {}", path, branches.stack().get(e.branch()).dir(),
                branches.stack().get(branch).dir());
    }

    /**
     * Copies one entry (not a directory's content) from {@code srcParent} into the work
     * directory, with all its metadata, and returns its name there.
     */
    String assemble(int srcParent, Entry e, int branch, String name, UnionPath path, long keepBytes) throws ErrnoException {
        int work = this.work.of(branch);
        Stat st = e.stat();
        String tmp = tempName();
        if (st.isRegular()) {
            copyFile(srcParent, e, name, work, tmp, path, keepBytes);
            return tmp;
        }
        boolean created = false;
        try {
            switch (st.type()) {
                case Stat.S_IFDIR -> Fs.mkdir(work, tmp, 0700);
                case Stat.S_IFLNK -> Fs.symlink(new String(Fs.readlink(srcParent, name), Fs.NAMES), work, tmp);
                default -> Fs.mknod(work, tmp, st.mode(), st.rdev());
            }
            created = true;
            Fs.chown(work, tmp, st.uid(), st.gid());
            if (!st.isSymlink()) {
                copyXattrs(srcParent, name, work, tmp, path);
                OptionalLong number = numberFor(srcParent, e, name);
                if (number.isPresent()) {
                    InodeOrigin.record(work, tmp, number.getAsLong());
                }
                Fs.chmod(work, tmp, st.permissions()); // after chown, which clears set-id bits
            }
            Fs.utimens(work, tmp, new long[] {st.atimeSec(), st.atimeNsec(), st.mtimeSec(), st.mtimeNsec()});
            created = false;
            return tmp;
        } catch (ErrnoException ex) {
            LOG.warn("copy-up of {} from {} failed: {}", path, branches.stack().get(e.branch()).dir(), ex.toString());
            throw ex;
        } finally {
            if (created) {
                removeQuietly(work, tmp, st.isDirectory());
            }
        }
    }

    /** The union number a copy of entry {@code e} (named {@code name} in {@code srcParent}) carries, if any. */
    OptionalLong numberFor(int srcParent, Entry e, String name) {
        return inodes.numberForCopy(e.branch(), e.stat(),
                () -> e.stat().isSymlink() ? OptionalLong.empty() : InodeOrigin.read(srcParent, name));
    }

    /**
     * Copies regular file {@code name} with its metadata to {@code tmp} in the work directory,
     * through the two open files (no lookup by name, no magic links), and syncs the copy before
     * it is closed: after a crash its name shows the complete copy or nothing (kernel overlayfs
     * syncs a copy-up the same way). Nothing is left behind on failure.
     */
    private void copyFile(int srcParent, Entry e, String name, int work, String tmp, UnionPath path, long keepBytes)
            throws ErrnoException {
        Stat st = e.stat();
        int in = Fs.open(srcParent, name, Fs.O_RDONLY | Fs.O_NOFOLLOW, 0);
        try {
            int out = Fs.open(work, tmp, Fs.O_WRONLY | Fs.O_CREAT | Fs.O_EXCL | Fs.O_NOFOLLOW, 0600);
            boolean done = false;
            try {
                Fs.copyData(in, out, Math.min(keepBytes, st.size())); // a read-only branch's file does not grow
                Fs.fchown(out, st.uid(), st.gid());
                copyXattrs(Fs.flistxattr(in), a -> Fs.fgetxattr(in, a), (a, v) -> Fs.fsetxattr(out, a, v, 0), path);
                OptionalLong number = numberFor(srcParent, e, name);
                if (number.isPresent()) {
                    InodeOrigin.recordFd(out, number.getAsLong());
                }
                Fs.fchmod(out, st.permissions()); // after chown, which clears set-id bits
                Fs.futimens(out, new long[] {st.atimeSec(), st.atimeNsec(), st.mtimeSec(), st.mtimeNsec()});
                Fs.fsync(out, false);
                done = true;
            } catch (ErrnoException ex) {
                LOG.warn("copy-up of {} from {} failed: {}", path, branches.stack().get(e.branch()).dir(), ex.toString());
                throw ex;
            } finally {
                Fs.close(out);
                if (!done) {
                    removeQuietly(work, tmp, false);
                }
            }
        } finally {
            Fs.close(in);
        }
    }

    private static void copyXattrs(int srcParent, String name, int work, String tmp, UnionPath path) throws ErrnoException {
        int src = Fs.open(srcParent, name, Fs.O_PATH | Fs.O_NOFOLLOW, 0);
        int dst = -1;
        try {
            var attrs = Fs.listxattr(src);
            if (attrs.isEmpty()) {
                return;
            }
            dst = Fs.open(work, tmp, Fs.O_PATH | Fs.O_NOFOLLOW, 0);
            int to = dst;
            copyXattrs(attrs, a -> Fs.getxattr(src, a), (a, v) -> Fs.setxattr(to, a, v, 0), path);
        } finally {
            Fs.close(src);
            Fs.close(dst);
        }
    }

    private interface XattrGet {
        byte[] get(String attr) throws ErrnoException;
    }

    private interface XattrSet {
        void set(String attr, byte[] value) throws ErrnoException;
    }

    /** Copies the attributes {@code attrs} read through {@code get} to {@code set}, but layerfs's own. */
    private static void copyXattrs(java.util.List<String> attrs, XattrGet get, XattrSet set, UnionPath path)
            throws ErrnoException {
        for (String attr : attrs) {
            if (InodeOrigin.isReserved(attr)) {
                continue; // a number from the union this branch was once the top of
            }
            byte[] value = get.get(attr);
            if (value == null) {
                continue;
            }
            try {
                set.set(attr, value);
            } catch (ErrnoException e) {
                if (e.errno() != Errno.EOPNOTSUPP && e.errno() != Errno.EPERM) {
                    throw e;
                }
                LOG.warn("copy-up of {}: writable branch refuses xattr {}: {}", path, attr, e.toString());
            }
        }
    }

    private static void removeQuietly(int work, String tmp, boolean dir) {
        try {
            if (dir) {
                Fs.rmdir(work, tmp);
            } else {
                Fs.unlink(work, tmp);
            }
        } catch (ErrnoException e) {
            LOG.warn("could not remove copy-up leftover {}/{}: {}", Names.WORK_DIR, tmp, e.toString());
        }
    }
}
