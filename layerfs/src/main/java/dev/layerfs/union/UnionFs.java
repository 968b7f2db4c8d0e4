package dev.layerfs.union;

import dev.layerfs.branch.BranchStack;
import dev.layerfs.sys.Errno;
import dev.layerfs.sys.ErrnoException;
import dev.layerfs.sys.Fs;
import dev.layerfs.sys.Stat;
import jnr.ffi.Pointer;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The union's operations in plain Java: what each file system call means over a branch stack.
 * Knows nothing of FUSE; every failure is an {@link ErrnoException}. Changes happen only in the
 * writable branch (branch 0); lower branches are only ever read.
 *
 * <p>Directory rename: a directory that lives only in the writable branch is renamed there; one
 * with content in a lower branch answers EXDEV, as overlayfs does without redirect_dir, and
 * {@code mv} then copies it. Whole-tree copy-up is left for a later change.
 */
public final class UnionFs implements AutoCloseable {

    private final OpenBranches branches;
    private final Lookup lookup;
    private final InodeTable inodes = new InodeTable();
    private final PathLocks locks = new PathLocks();
    private final OpenFiles files = new OpenFiles();
    private final CopyUp copyUp;
    private final int workDir;

    public UnionFs(BranchStack stack) throws ErrnoException {
        this.branches = new OpenBranches(stack);
        this.lookup = new Lookup(branches);
        int work = -1;
        try {
            if (branches.writable()) {
                work = WorkDir.prepare(branches.upperRoot());
            }
        } catch (ErrnoException e) {
            branches.close();
            throw e;
        }
        this.workDir = work;
        this.copyUp = new CopyUp(lookup, inodes, locks, work);
        inodes.inode(0, Fs.stat(branches.root(0), ".")); // the root is inode 1
    }

    public BranchStack stack() {
        return branches.stack();
    }

    public OpenFiles openFiles() {
        return files;
    }

    // ---- reading ----

    /** The status of {@code path}, with its union inode number. */
    public Stat getattr(UnionPath path) throws ErrnoException {
        try (DirView parent = lookup.openDir(path.parent())) {
            Entry e = lookup.entry(parent, path);
            return withInode(e.branch(), e.stat());
        }
    }

    public Stat fgetattr(long handle) throws ErrnoException {
        OpenFile f = files.get(handle);
        return withInode(f.branch(), Fs.fstat(f.fd()));
    }

    private Stat withInode(int branch, Stat s) {
        long ino = inodes.inode(branch, s);
        return new Stat(s.mode(), s.nlink(), s.uid(), s.gid(), ino, s.size(), s.blocks(), s.blksize(),
                s.atimeSec(), s.atimeNsec(), s.mtimeSec(), s.mtimeNsec(), s.ctimeSec(), s.ctimeNsec(),
                s.rdevMajor(), s.rdevMinor(), s.devMajor(), s.devMinor());
    }

    public byte[] readlink(UnionPath path) throws ErrnoException {
        try (DirView parent = lookup.openDir(path.parent())) {
            Entry e = lookup.entry(parent, path);
            return Fs.readlink(parent.fd(e.level()), path.name());
        }
    }

    public List<String> list(UnionPath dir) throws ErrnoException {
        try (DirView view = lookup.openDir(dir)) {
            return MergedListing.names(view);
        }
    }

    /** Opens {@code path}; any write intent copies it up first. Returns the handle. */
    public long open(UnionPath path, int flags) throws ErrnoException {
        int access = flags & Fs.O_ACCMODE;
        // O_APPEND stays: if the kernel's idea of the size is stale (another hard link grew the
        // file), an appending write still lands at the real end.
        int osFlags = (flags & ~(Fs.O_CREAT | Fs.O_EXCL)) | Fs.O_NOFOLLOW;
        if (access != Fs.O_RDONLY || (flags & Fs.O_TRUNC) != 0) {
            int parent = copyUp.upperEntry(path);
            try {
                return files.add(opened(Fs.open(parent, path.name(), osFlags, 0), 0, path));
            } finally {
                Fs.close(parent);
            }
        }
        try (DirView parent = lookup.openDir(path.parent())) {
            Entry e = lookup.entry(parent, path);
            return files.add(opened(Fs.open(parent.fd(e.level()), path.name(), osFlags, 0), e.branch(), path));
        }
    }

    private static OpenFile opened(int fd, int branch, UnionPath path) throws ErrnoException {
        try {
            Stat st = Fs.fstat(fd);
            return new OpenFile(fd, branch, path, st.isRegular() && st.nlink() > 1);
        } catch (ErrnoException e) {
            Fs.close(fd);
            throw e;
        }
    }

    /** Whether the kernel should bypass its page cache for this open file (see {@link OpenFile}). */
    public boolean directIo(long handle) throws ErrnoException {
        return files.get(handle).directIo();
    }

    public int read(long handle, Pointer buf, long size, long offset) throws ErrnoException {
        return Fs.pread(files.get(handle).fd(), buf, size, offset);
    }

    public int write(long handle, Pointer buf, long size, long offset) throws ErrnoException {
        return Fs.pwrite(files.get(handle).fd(), buf, size, offset);
    }

    public void ftruncate(long handle, long size) throws ErrnoException {
        Fs.ftruncate(files.get(handle).fd(), size);
    }

    /** Syncs the file and, in the writable branch, its directory, so a copy-up survives a crash too. */
    public void fsync(long handle, boolean dataOnly) throws ErrnoException {
        OpenFile f = files.get(handle);
        Fs.fsync(f.fd(), dataOnly);
        if (f.branch() == 0 && branches.writable() && !f.path().isRoot()) {
            int dir;
            try {
                dir = copyUp.upperDir(f.path().parent());
            } catch (ErrnoException e) {
                return; // renamed or removed since: nothing of it left to make durable here
            }
            try {
                int rd = Fs.open(dir, ".", Fs.O_RDONLY | Fs.O_DIRECTORY, 0);
                try {
                    Fs.fsync(rd, false);
                } finally {
                    Fs.close(rd);
                }
            } finally {
                Fs.close(dir);
            }
        }
    }

    public void release(long handle) {
        files.release(handle);
    }

    /** Fills the native struct statvfs at {@code statvfs} from the top branch's file system. */
    public void statfs(Pointer statvfs) throws ErrnoException {
        Fs.fstatvfs(branches.root(0), statvfs);
    }

    // ---- extended attributes ----

    /** The value, or null when the attribute does not exist. */
    public byte[] getxattr(UnionPath path, String attr) throws ErrnoException {
        try (DirView parent = lookup.openDir(path.parent())) {
            Entry e = lookup.entry(parent, path);
            int fd = Fs.open(parent.fd(e.level()), path.name(), Fs.O_PATH | Fs.O_NOFOLLOW, 0);
            try {
                return Fs.getxattr(fd, attr);
            } finally {
                Fs.close(fd);
            }
        }
    }

    public List<String> listxattr(UnionPath path) throws ErrnoException {
        try (DirView parent = lookup.openDir(path.parent())) {
            Entry e = lookup.entry(parent, path);
            int fd = Fs.open(parent.fd(e.level()), path.name(), Fs.O_PATH | Fs.O_NOFOLLOW, 0);
            try {
                return Fs.listxattr(fd);
            } finally {
                Fs.close(fd);
            }
        }
    }

    public void setxattr(UnionPath path, String attr, byte[] value, int flags) throws ErrnoException {
        withUpperPathFd(path, fd -> Fs.setxattr(fd, attr, value, flags));
    }

    public void removexattr(UnionPath path, String attr) throws ErrnoException {
        withUpperPathFd(path, fd -> Fs.removexattr(fd, attr));
    }

    private interface FdAction {
        void run(int fd) throws ErrnoException;
    }

    private void withUpperPathFd(UnionPath path, FdAction action) throws ErrnoException {
        int parent = copyUp.upperEntry(path);
        try {
            int fd = Fs.open(parent, path.name(), Fs.O_PATH | Fs.O_NOFOLLOW, 0);
            try {
                action.run(fd);
            } finally {
                Fs.close(fd);
            }
        } finally {
            Fs.close(parent);
        }
    }

    // ---- attribute changes: copy-up, then change the writable copy ----

    public void chmod(UnionPath path, int mode) throws ErrnoException {
        withUpperParent(path, parent -> Fs.chmod(parent, path.name(), mode & 07777));
    }

    public void chown(UnionPath path, int uid, int gid) throws ErrnoException {
        withUpperParent(path, parent -> Fs.chown(parent, path.name(), uid, gid));
    }

    public void utimens(UnionPath path, long[] times) throws ErrnoException {
        withUpperParent(path, parent -> Fs.utimens(parent, path.name(), times));
    }

    public void truncate(UnionPath path, long size) throws ErrnoException {
        withUpperParent(path, parent -> {
            int fd = Fs.open(parent, path.name(), Fs.O_WRONLY | Fs.O_NOFOLLOW, 0);
            try {
                Fs.ftruncate(fd, size);
            } finally {
                Fs.close(fd);
            }
        });
    }

    private void withUpperParent(UnionPath path, FdAction action) throws ErrnoException {
        int parent = copyUp.upperEntry(path);
        try {
            action.run(parent);
        } finally {
            Fs.close(parent);
        }
    }

    // ---- new names ----

    private static void checkName(UnionPath path) throws ErrnoException {
        if (Names.isReserved(path.name())) {
            throw new ErrnoException(Errno.EPERM, "reserved name (whiteout prefix .wh.): " + path);
        }
    }

    /** Owner of a new entry: the caller, with the group of a set-group-ID parent. */
    private static Caller owner(int upperParent, Caller caller) throws ErrnoException {
        Stat p = Fs.fstat(upperParent);
        return (p.mode() & Stat.S_ISGID) != 0 ? new Caller(caller.uid(), p.gid()) : caller;
    }

    public long create(UnionPath path, int mode, int flags, Caller caller) throws ErrnoException {
        checkName(path);
        int parent = copyUp.upperDir(path.parent());
        try (PathLocks.Held held = locks.lock(path)) {
            int osFlags = (flags & ~Fs.O_TRUNC) | Fs.O_CREAT | Fs.O_EXCL | Fs.O_NOFOLLOW;
            int fd = Fs.open(parent, path.name(), osFlags, mode & 07777);
            try {
                Caller o = owner(parent, caller);
                if (o.uid() != 0 || o.gid() != 0) {
                    Fs.fchown(fd, o.uid(), o.gid());
                }
                Whiteouts.remove(parent, path.name());
            } catch (ErrnoException e) {
                Fs.close(fd);
                throw e;
            }
            return files.add(new OpenFile(fd, 0, path, false));
        } finally {
            Fs.close(parent);
        }
    }

    public void mknod(UnionPath path, int mode, long rdev, Caller caller) throws ErrnoException {
        checkName(path);
        newEntry(path, caller, (parent, name) -> Fs.mknod(parent, name, mode, rdev));
    }

    public void symlink(String target, UnionPath path, Caller caller) throws ErrnoException {
        checkName(path);
        newEntry(path, caller, (parent, name) -> Fs.symlink(target, parent, name));
    }

    private interface Maker {
        void make(int parent, String name) throws ErrnoException;
    }

    private void newEntry(UnionPath path, Caller caller, Maker maker) throws ErrnoException {
        int parent = copyUp.upperDir(path.parent());
        try (PathLocks.Held held = locks.lock(path)) {
            maker.make(parent, path.name());
            Caller o = owner(parent, caller);
            if (o.uid() != 0 || o.gid() != 0) {
                Fs.chown(parent, path.name(), o.uid(), o.gid());
            }
            Whiteouts.remove(parent, path.name());
        } finally {
            Fs.close(parent);
        }
    }

    /**
     * A directory created where a whiteout hid a lower one is opaque: it is assembled with its
     * marker in the work directory and renamed into place, then the whiteout goes.
     */
    public void mkdir(UnionPath path, int mode, Caller caller) throws ErrnoException {
        checkName(path);
        int parent = copyUp.upperDir(path.parent());
        try (PathLocks.Held held = locks.lock(path)) {
            Caller o = owner(parent, caller);
            int perms = mode & 07777;
            if (o.gid() != caller.gid()) {
                perms |= Stat.S_ISGID; // inherited from a set-group-ID parent
            }
            if (!Whiteouts.exists(parent, path.name())) {
                Fs.mkdir(parent, path.name(), perms);
                if (o.uid() != 0 || o.gid() != 0) {
                    Fs.chown(parent, path.name(), o.uid(), o.gid());
                }
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
        } finally {
            Fs.close(parent);
        }
    }

    public void link(UnionPath from, UnionPath to) throws ErrnoException {
        checkName(to);
        int fromParent = copyUp.upperEntry(from);
        try {
            int toParent = copyUp.upperDir(to.parent());
            try (PathLocks.Held held = locks.lock(from, to)) {
                Fs.link(fromParent, from.name(), toParent, to.name());
                Whiteouts.remove(toParent, to.name());
            } finally {
                Fs.close(toParent);
            }
        } finally {
            Fs.close(fromParent);
        }
    }

    // ---- removing names ----

    public void unlink(UnionPath path) throws ErrnoException {
        branches.upperRoot();
        int parent = copyUp.upperDir(path.parent());
        try (PathLocks.Held held = locks.lock(path)) {
            Entry e;
            boolean lowerHolds;
            try (DirView view = lookup.openDir(path.parent())) {
                e = lookup.entry(view, path);
                lowerHolds = lookup.lowerHolds(view, e, path.name());
            }
            if (e.stat().isDirectory()) {
                throw new ErrnoException(Errno.EISDIR, "is a directory: " + path);
            }
            if (lowerHolds) {
                Whiteouts.create(parent, path.name()); // first, so the name never shows a lower file
            }
            if (e.inUpper()) {
                Fs.unlink(parent, path.name());
            }
        } finally {
            Fs.close(parent);
        }
    }

    public void rmdir(UnionPath path) throws ErrnoException {
        branches.upperRoot();
        int parent = copyUp.upperDir(path.parent());
        try (PathLocks.Held held = locks.lock(path)) {
            Entry e;
            boolean lowerHolds;
            try (DirView view = lookup.openDir(path.parent())) {
                e = lookup.entry(view, path);
                lowerHolds = lookup.lowerHolds(view, e, path.name());
            }
            if (!e.stat().isDirectory()) {
                throw new ErrnoException(Errno.ENOTDIR, "not a directory: " + path);
            }
            try (DirView dir = lookup.openDir(path)) {
                if (!MergedListing.isEmpty(dir)) {
                    throw new ErrnoException(Errno.ENOTEMPTY, "directory not empty: " + path);
                }
            }
            if (lowerHolds) {
                Whiteouts.create(parent, path.name());
            }
            if (e.inUpper()) {
                Whiteouts.clearMarkers(parent, path.name());
                Fs.rmdir(parent, path.name());
            }
        } finally {
            Fs.close(parent);
        }
    }

    // ---- rename ----

    public void rename(UnionPath from, UnionPath to) throws ErrnoException {
        checkName(to);
        branches.upperRoot();
        Entry source;
        try (DirView view = lookup.openDir(from.parent())) {
            source = lookup.entry(view, from);
        }
        if (source.stat().isDirectory()) {
            renameDirectory(from, to);
        } else {
            renameFile(from, to);
        }
    }

    private void renameFile(UnionPath from, UnionPath to) throws ErrnoException {
        int fromParent = copyUp.upperEntry(from);
        try {
            int toParent = copyUp.upperDir(to.parent());
            try (PathLocks.Held held = locks.lock(from, to)) {
                boolean lowerHolds;
                try (DirView view = lookup.openDir(from.parent())) {
                    Entry e = lookup.entry(view, from);
                    if (!e.inUpper()) {
                        throw new ErrnoException(Errno.ENOENT, "renamed away during copy-up: " + from);
                    }
                    lowerHolds = lookup.lowerHolds(view, e, from.name());
                }
                if (lowerHolds) {
                    Whiteouts.create(fromParent, from.name());
                }
                Fs.rename(fromParent, from.name(), toParent, to.name());
                Whiteouts.remove(toParent, to.name());
            } finally {
                Fs.close(toParent);
            }
        } finally {
            Fs.close(fromParent);
        }
    }

    private void renameDirectory(UnionPath from, UnionPath to) throws ErrnoException {
        try (DirView dir = lookup.openDir(from)) {
            if (dir.hasLowerLevels()) {
                throw new ErrnoException(Errno.EXDEV, "directory with lower-branch content cannot be renamed: " + from);
            }
        }
        int fromParent = copyUp.upperDir(from.parent());
        try {
            int toParent = copyUp.upperDir(to.parent());
            try (PathLocks.Held held = locks.lock(from, to)) {
                boolean fromLowerHolds;
                try (DirView view = lookup.openDir(from.parent())) {
                    fromLowerHolds = lookup.lowerHolds(view, lookup.entry(view, from), from.name());
                }
                boolean toLowerHolds = false;
                try (DirView view = lookup.openDir(to.parent())) {
                    var target = lookup.find(view, to.name());
                    if (target.isPresent()) {
                        if (!target.get().stat().isDirectory()) {
                            throw new ErrnoException(Errno.ENOTDIR, "not a directory: " + to);
                        }
                        try (DirView t = lookup.openDir(to)) {
                            if (!MergedListing.isEmpty(t)) {
                                throw new ErrnoException(Errno.ENOTEMPTY, "directory not empty: " + to);
                            }
                        }
                        toLowerHolds = lookup.lowerHolds(view, target.get(), to.name());
                        if (target.get().inUpper()) {
                            Whiteouts.clearMarkers(toParent, to.name());
                        }
                    } else {
                        toLowerHolds = Whiteouts.exists(toParent, to.name());
                    }
                }
                if (toLowerHolds) {
                    Whiteouts.makeOpaque(fromParent, from.name());
                }
                if (fromLowerHolds) {
                    Whiteouts.create(fromParent, from.name());
                }
                Fs.rename(fromParent, from.name(), toParent, to.name());
                Whiteouts.remove(toParent, to.name());
            } finally {
                Fs.close(toParent);
            }
        } finally {
            Fs.close(fromParent);
        }
    }

    @Override
    public void close() {
        Fs.close(workDir);
        branches.close();
    }

    static String utf8(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }
}
