package dev.layerfs.union;

import dev.layerfs.sys.Errno;
import dev.layerfs.sys.ErrnoException;
import dev.layerfs.sys.Fs;
import dev.layerfs.sys.Stat;

import java.util.List;

/**
 * Operations that make a new name: create, mknod, symlink, mkdir, link. A new entry lands in the
 * writable branch the {@code create=} policy chooses ({@link Placement}), its parent directories
 * made there as needed, owned by the caller (with the group of a set-group-ID parent), and
 * drops a whiteout of the same name in that branch; a directory made where a whiteout stood is
 * opaque. A link goes into the branch of the file it links to.
 */
final class NewEntries {

    private final Lookup lookup;
    private final CopyUp copyUp;
    private final PathLocks locks;
    private final OpenFiles files;

    NewEntries(Lookup lookup, CopyUp copyUp, PathLocks locks, OpenFiles files) {
        this.lookup = lookup;
        this.copyUp = copyUp;
        this.locks = locks;
        this.files = files;
    }

    /** The branch a new entry at {@code path} goes to, and its parent directory there (made if needed). */
    private CopyUp.Target place(UnionPath path, boolean directory) throws ErrnoException {
        lookup.branches().topWritable(); // EROFS for a read-only union, before anything else
        int branch = 0;
        if (!copyUp.placement().onlyTop()) {
            try (DirView parent = lookup.openDir(path.parent())) {
                branch = copyUp.placement().forNewName(parent, path, directory);
            }
        }
        return new CopyUp.Target(branch, copyUp.dirIn(branch, path.parent()));
    }

    static void checkName(UnionPath path) throws ErrnoException {
        if (Names.isReserved(path.name())) {
            throw new ErrnoException(Errno.EPERM, "reserved name (whiteout prefix .wh.): " + path);
        }
    }

    /**
     * Makes the caller own a new entry the daemon (root) created. chown clears set-user-ID and
     * set-group-ID on a file, so the mode the kernel asked for (it already dropped what the
     * caller may not have) is put back afterwards.
     */
    private static void giveToCaller(int parent, String name, int mode, Caller owner, boolean symlink)
            throws ErrnoException {
        giveToCaller(parent, name, Fs.stat(parent, name), mode, owner, symlink);
    }

    /** As above, for the entry whose status is {@code st}. */
    private static void giveToCaller(int parent, String name, Stat st, int mode, Caller owner, boolean symlink)
            throws ErrnoException {
        if (st.uid() == owner.uid() && st.gid() == owner.gid()) {
            return;
        }
        Fs.chown(parent, name, owner.uid(), owner.gid());
        if (!symlink && (mode & 06000) != 0) {
            Fs.chmod(parent, name, mode & 07777);
        }
    }

    /** Owner of a new entry: the caller, with the group of a set-group-ID parent (as the union shows it). */
    private Caller owner(UnionPath path, int parent, Caller caller) throws ErrnoException {
        Stat p = shownParent(path, parent);
        return setGroupId(p) ? new Caller(caller.uid(), p.gid()) : caller;
    }

    /**
     * The parent directory of {@code path} as the union shows it: its topmost level. A lower
     * writable level a policy put the new entry in may hold an older copy of its metadata.
     */
    private Stat shownParent(UnionPath path, int parentInTarget) throws ErrnoException {
        if (copyUp.placement().onlyTop()) {
            return Fs.fstat(parentInTarget); // the entry lands in the top level, copied up first
        }
        try (DirView view = lookup.openDir(path.parent())) {
            return Fs.fstat(view.fd(0));
        }
    }

    private static boolean setGroupId(Stat dir) {
        return (dir.mode() & Stat.S_ISGID) != 0;
    }

    long create(UnionPath path, int mode, int flags, Caller caller) throws ErrnoException {
        checkName(path);
        CopyUp.Target target = place(path, false);
        int parent = target.dir();
        try (PathLocks.Held held = locks.lock(path)) {
            int osFlags = (flags & ~Fs.O_TRUNC) | Fs.O_CREAT | Fs.O_EXCL | Fs.O_NOFOLLOW;
            int fd = Fs.open(parent, path.name(), osFlags, mode & 07777);
            try {
                Stat st = Fs.fstat(fd);
                giveToCaller(parent, path.name(), st, mode, owner(path, parent, caller), false);
                Whiteouts.remove(parent, path.name());
                copyUp.madeNew(target.branch(), st.ino());
            } catch (ErrnoException e) {
                Fs.close(fd);
                throw e;
            }
            DirTimes.changedIn(lookup, path.parent(), target.branch());
            return files.add(new OpenFile(fd, target.branch(), path, false));
        } finally {
            Fs.close(parent);
        }
    }

    void mknod(UnionPath path, int mode, long rdev, Caller caller) throws ErrnoException {
        checkName(path);
        newEntry(path, caller, mode, false, (parent, name) -> Fs.mknod(parent, name, mode, rdev));
    }

    void symlink(String target, UnionPath path, Caller caller) throws ErrnoException {
        checkName(path);
        newEntry(path, caller, 0, true, (parent, name) -> Fs.symlink(target, parent, name));
    }

    /** A new link: the branch it is in and the file's status. */
    record Linked(int branch, Stat stat) {
    }

    private interface Maker {
        void make(int parent, String name) throws ErrnoException;
    }

    private void newEntry(UnionPath path, Caller caller, int mode, boolean symlink, Maker maker) throws ErrnoException {
        CopyUp.Target target = place(path, false);
        int parent = target.dir();
        try (PathLocks.Held held = locks.lock(path)) {
            maker.make(parent, path.name());
            giveToCaller(parent, path.name(), mode, owner(path, parent, caller), symlink);
            Whiteouts.remove(parent, path.name());
            DirTimes.changedIn(lookup, path.parent(), target.branch());
        } finally {
            Fs.close(parent);
        }
    }

    /**
     * A directory created where a whiteout hid a lower one is opaque: it is assembled with its
     * marker in the work directory and renamed into place, then the whiteout goes.
     */
    void mkdir(UnionPath path, int mode, Caller caller) throws ErrnoException {
        checkName(path);
        CopyUp.Target target = place(path, true);
        int parent = target.dir();
        int workDir = copyUp.workDir(target.branch());
        try (PathLocks.Held held = locks.lock(path)) {
            Caller o = owner(path, parent, caller);
            int perms = mode & 07777;
            if (setGroupId(shownParent(path, parent))) {
                perms |= Stat.S_ISGID; // a directory inherits its parent's set-group-ID bit
            }
            if (!Whiteouts.exists(parent, path.name())) {
                Fs.mkdir(parent, path.name(), perms);
                // mkdir takes the group and set-group-ID bit from the branch's copy of the parent,
                // which may lag the one the union shows (a lower writable level): put them right
                Stat made = Fs.stat(parent, path.name());
                if (made.uid() != o.uid() || made.gid() != o.gid()) {
                    Fs.chown(parent, path.name(), o.uid(), o.gid());
                    made = Fs.stat(parent, path.name());
                }
                if ((made.mode() & 07777) != perms) {
                    Fs.chmod(parent, path.name(), perms);
                }
                DirTimes.changedIn(lookup, path.parent(), target.branch());
                return;
            }
            String tmp = copyUp.tempName();
            Fs.mkdir(workDir, tmp, 0700);
            try {
                Whiteouts.makeOpaque(workDir, tmp);
                Fs.chown(workDir, tmp, o.uid(), o.gid());
                Fs.chmod(workDir, tmp, perms);
                Fs.rename(workDir, tmp, parent, path.name());
            } catch (ErrnoException e) {
                try {
                    WorkDir.removeTree(workDir, tmp);
                } catch (ErrnoException ignored) {
                    // the next mount clears the work directory
                }
                throw e;
            }
            Whiteouts.remove(parent, path.name());
            DirTimes.changedIn(lookup, path.parent(), target.branch());
        } finally {
            Fs.close(parent);
        }
    }

    /**
     * Links {@code to} to {@code from}, in the writable branch that holds (or gets a copy of)
     * {@code from}. If the new name would not show there (a whiteout or opaque directory of a
     * branch above hides it), in the nearest writable branch above where it shows, if that is on
     * the same file system (the file's union number is recorded on it, so both names show one
     * number); else EXDEV. Returns the branch and the file's status after the link.
     */
    Linked link(UnionPath from, UnionPath to) throws ErrnoException {
        checkName(to);
        try (CopyUp.Target source = copyUp.writable(from)) {
            int fromParent = source.dir();
            int branch = source.branch();
            int bound;
            try (DirView view = lookup.openDir(to.parent())) {
                bound = lookup.newNameBound(view, to.name());
            }
            if (bound < branch) {
                branch = linkBranch(from, to, branch, bound);
            }
            int toParent = copyUp.dirIn(branch, to.parent());
            try (PathLocks.Held held = locks.lock(from, to)) {
                if (branch != source.branch()) {
                    copyUp.numberMovesWith(source.branch(), fromParent, from.name(), Fs.stat(fromParent, from.name()), branch);
                }
                Fs.link(fromParent, from.name(), toParent, to.name());
                Whiteouts.remove(toParent, to.name());
                DirTimes.changedIn(lookup, to.parent(), branch);
                return new Linked(branch, Fs.stat(toParent, to.name()));
            } finally {
                Fs.close(toParent);
            }
        }
    }

    /** The nearest writable branch at or above {@code bound} on the file system of {@code fileBranch}, or EXDEV. */
    private int linkBranch(UnionPath from, UnionPath to, int fileBranch, int bound) throws ErrnoException {
        List<Integer> writable = lookup.branches().writableBranches();
        for (int i = writable.size() - 1; i >= 0; i--) {
            int b = writable.get(i);
            if (b <= bound && copyUp.sameFileSystem(b, fileBranch)) {
                return b;
            }
        }
        throw new ErrnoException(Errno.EXDEV, "link " + to + " would be hidden in branch "
                + lookup.branches().stack().get(fileBranch).dir() + ", where " + from
                + " is, and no writable branch above shares its file system");
    }
}
