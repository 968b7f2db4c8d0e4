package dev.layerfs.union;

import dev.layerfs.branch.BranchStack;
import dev.layerfs.policy.WritePolicies;
import dev.layerfs.sys.Errno;
import dev.layerfs.sys.ErrnoException;
import dev.layerfs.sys.Fs;
import dev.layerfs.sys.Stat;
import jnr.ffi.Pointer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The union's operations in plain Java: what each file system call means over a branch stack.
 * Knows nothing of FUSE; every failure is an {@link ErrnoException}. Changes happen only in
 * writable branches: in place where the entry is, else where the union's {@link WritePolicies}
 * place it ({@link Placement}); read-only branches are only ever read.
 *
 * Reads and attribute changes are here; new names, removals and renames each have their own
 * class ({@link NewEntries}, {@link Removal}, {@link Rename}).
 */
public final class UnionFs implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(UnionFs.class);

    private final OpenBranches branches;
    private final Lookup lookup;
    private final InodeTable inodes;
    private final PathLocks locks = new PathLocks();
    private final OpenFiles files;
    private final OpenDirs dirs = new OpenDirs();
    private final StackLock stackLock = new StackLock();
    /** Writable-branch inodes (as {@link InodeTable#derived} by branch id) seen with more than one name during this mount (see {@link OpenFile}). */
    private final java.util.Set<Long> everLinked = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final Placement placement;
    // Bound to the writable branches' work directories: wired anew when a branch change gives the
    // union other writable branches (under the exclusive stack lock, so no operation sees a mix).
    private CopyUp copyUp;
    private NewEntries newEntries;
    private Removal removal;
    private Rename rename;
    private HiddenFiles hidden;
    private WorkDirs workDirs;
    private volatile StatfsMode statfsMode = StatfsMode.TOP;

    public UnionFs(BranchStack stack) throws ErrnoException {
        this(stack, WritePolicies.defaults());
    }

    /** A union whose writes go where {@code policies} say when it has several writable branches. */
    public UnionFs(BranchStack stack, WritePolicies policies) throws ErrnoException {
        this.branches = new OpenBranches(stack);
        this.lookup = new Lookup(branches);
        lookup.cacheDirectories(true);
        this.inodes = new InodeTable(branches);
        this.files = new OpenFiles(branches);
        this.placement = new Placement(lookup, policies);
        WorkDirs work;
        try {
            work = WorkDirs.prepare(branches, null); // completes interrupted renames first
        } catch (ErrnoException e) {
            branches.close();
            throw e;
        }
        wire(work);
        inodes.root(Fs.stat(branches.root(0), "."));
    }

    private void wire(WorkDirs work) {
        this.workDirs = work;
        this.copyUp = new CopyUp(lookup, inodes, locks, work, placement);
        this.newEntries = new NewEntries(lookup, copyUp, locks, files);
        this.removal = new Removal(lookup, copyUp, locks, inodes);
        this.rename = new Rename(lookup, copyUp, locks, inodes, removal);
        this.hidden = new HiddenFiles(copyUp, removal, inodes);
    }

    /**
     * Holds the branch stack still until closed: every operation through the mount runs inside
     * one, so a branch change ({@link #changeBranches}) never happens halfway through it.
     */
    public PathLocks.Held hold() {
        return stackLock.shared();
    }

    /**
     * Replaces the branch stack of the mounted union by {@code next}, once the operations in
     * flight are done. Branches in both keep their ids (and so their files' inode numbers) and
     * descriptors; open files stay valid. Unless {@code force}, EBUSY if a branch leaving the
     * union has files or directories open in it, or a writable branch turning read-only has files
     * open for writing. Forced, such files still read; their writes answer EROFS. If the union
     * gets another writable branch, its work directory is prepared (interrupted renames completed).
     * On any failure nothing has changed.
     */
    public void changeBranches(BranchStack next, boolean force, Duration wait) throws ErrnoException {
        // close(2) does not wait for FUSE's release: a file closed just before the change may
        // still count as open for a moment, so a busy answer is retried briefly, lock released.
        long graceEnd = System.nanoTime() + RELEASE_GRACE.toNanos();
        while (!tryChange(next, force, wait, System.nanoTime() > graceEnd)) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ErrnoException(Errno.EINTR, "interrupted; branches unchanged");
            }
        }
    }

    /** How long a branch change waits for the releases of files closed just before it. */
    private static final Duration RELEASE_GRACE = Duration.ofSeconds(1);

    /** One attempt: false if busy and {@code lastTry} is not set (nothing changed), else done or thrown. */
    private boolean tryChange(BranchStack next, boolean force, Duration wait, boolean lastTry) throws ErrnoException {
        try (PathLocks.Held held = stackLock.exclusive(wait)) {
            try {
                return change(next, force, lastTry);
            } finally {
                lookup.directoriesChanged(); // resolved directories name branches by position
            }
        }
    }

    private boolean change(BranchStack next, boolean force, boolean lastTry) throws ErrnoException {
        OpenBranches.Generation now = branches.current();
        OpenBranches.Generation gen = branches.prepare(next);
        try {
            if (!force) {
                BusyBranches.check(now, gen, files, dirs, lookup, hidden.count());
            }
        } catch (ErrnoException e) {
            gen.discard();
            if (e.errno() == Errno.EBUSY && !lastTry) {
                return false;
            }
            throw e;
        }
        branches.install(gen);
        if (!now.writableIds().equals(gen.writableIds())) {
            WorkDirs work;
            try {
                work = WorkDirs.prepare(branches, workDirs);
            } catch (ErrnoException e) {
                branches.install(now);
                gen.discard();
                throw new ErrnoException(e.errno(), "branches " + next.spec()
                        + ": cannot prepare a work directory: " + e.getMessage());
            }
            workDirs.retire(work);
            wire(work);
        } else if (!BusyBranches.sameWritableLayout(now, gen)) {
            // forced past files removed while open: their records name writable branches by
            // position; the files stay in their work directory (the next mount clears it)
            // and their descriptors keep working
            hidden = new HiddenFiles(copyUp, removal, inodes);
        }
        if (now.id(0) != gen.id(0)) {
            inodes.root(Fs.stat(branches.root(0), "."));
        }
        branches.retire(now);
        LOG.info("branches changed: {} -> {}", now.stack().spec(), next.spec());
        return true;
    }

    public BranchStack stack() {
        return branches.stack();
    }

    /**
     * Whether resolved directories are remembered between operations (default on). Off when
     * changes made directly in the branches must show (udba=reval): see {@link ResolvedDirs}.
     */
    public void cacheDirectories(boolean on) {
        lookup.cacheDirectories(on);
    }

    // ---- reading ----

    /** The status of {@code path}, with its union inode number. */
    public Stat getattr(UnionPath path) throws ErrnoException {
        Optional<HiddenFiles.WorkName> hiddenAs = hidden.workName(path);
        if (hiddenAs.isPresent()) {
            HiddenFiles.WorkName at = hiddenAs.get();
            Stat st = Fs.stat(at.dir(), at.name());
            return withInode(at.branch(), st, origin(st, at.dir(), at.name()));
        }
        try (DirView parent = lookup.openDir(path.parent())) {
            Entry e = lookup.entry(parent, path);
            noteLinks(e.branch(), e.stat());
            return withInode(e.branch(), e.stat(), origin(e.stat(), parent.fd(e.level()), path.name()));
        }
    }

    /**
     * The status of each of {@code names} in directory {@code dir}, walking to the directory once
     * (a listing's entries, for FUSE's READDIRPLUS); an empty Optional where a name is gone.
     */
    public List<Optional<Stat>> getattrs(UnionPath dir, List<String> names) throws ErrnoException {
        List<Optional<Stat>> out = new java.util.ArrayList<>(names.size());
        try (DirView parent = lookup.openDir(dir)) {
            for (String name : names) {
                if (!hidden.isEmpty() && hidden.workName(dir.child(name)).isPresent()) {
                    out.add(Optional.of(getattr(dir.child(name))));
                    continue;
                }
                Optional<Entry> found = lookup.find(parent, name);
                if (found.isEmpty()) {
                    out.add(Optional.empty());
                    continue;
                }
                Entry e = found.get();
                noteLinks(e.branch(), e.stat());
                out.add(Optional.of(withInode(e.branch(), e.stat(), origin(e.stat(), parent.fd(e.level()), name))));
            }
        }
        return out;
    }

    /** Reads the inode number a copy-up recorded on a writable-branch entry; symlinks carry none. */
    private static InodeTable.OriginReader origin(Stat st, int dirFd, String name) {
        return () -> st.isSymlink() ? java.util.OptionalLong.empty() : InodeOrigin.read(dirFd, name);
    }

    /**
     * Remembers writable-branch files with several names: the kernel may hold a stale size for
     * one name after a write through another, even once the other is removed, so such a file
     * is opened with direct I/O for the rest of the mount.
     */
    private void noteLinks(int branch, Stat st) {
        if (branches.writable(branch) && st.nlink() > 1 && st.isRegular()) {
            everLinked.add(InodeTable.derived(branches.id(branch), st.ino()));
        }
    }

    public Stat fgetattr(long handle) throws ErrnoException {
        OpenFile f = readable(handle);
        Stat st = Fs.fstat(f.fd());
        if (f.branch() < 0) { // its branch was deleted (forced): numbered as while it was there
            return withNumber(st, inodes.byId(files.branchId(handle), st.ino()));
        }
        return withInode(f.branch(), st, () -> InodeOrigin.readFd(f.fd()));
    }

    private Stat withInode(int branch, Stat s, InodeTable.OriginReader origin) {
        return withNumber(s, inodes.inode(branch, s.ino(), origin));
    }

    private static Stat withNumber(Stat s, long ino) {
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

    /** One name of a directory listing, with its file type bits and union inode number. */
    public record Dirent(String name, int modeType, long inode) {
    }

    public List<Dirent> list(UnionPath dir) throws ErrnoException {
        try (DirView view = lookup.openDir(dir)) {
            List<MergedListing.Item> items = MergedListing.items(view);
            List<Dirent> out = new java.util.ArrayList<>(items.size());
            for (MergedListing.Item i : items) {
                int type = i.entry().modeType(); // only files and directories carry a recorded number
                boolean plain = type == Stat.S_IFREG || type == Stat.S_IFDIR;
                long ino = inodes.inode(i.branch(), i.entry().ino(), () -> plain && branches.writable(i.branch())
                        ? InodeOrigin.read(view.fd(view.levelOf(i.branch())), i.name()) : java.util.OptionalLong.empty());
                out.add(new Dirent(i.name(), i.entry().modeType(), ino));
            }
            return out;
        }
    }

    /** Opens {@code path}; any write intent copies it up first. Returns the handle. */
    public long open(UnionPath path, int flags) throws ErrnoException {
        long copyUps = copyUp.completed(); // before the lookup: a copy-up after it shows in read
        int access = flags & Fs.O_ACCMODE;
        // O_APPEND stays: if the kernel's idea of the size is stale (another hard link grew the
        // file), an appending write still lands at the real end.
        int osFlags = (flags & ~(Fs.O_CREAT | Fs.O_EXCL)) | Fs.O_NOFOLLOW;
        Optional<HiddenFiles.WorkName> hiddenAs = hidden.workName(path);
        if (hiddenAs.isPresent()) {
            HiddenFiles.WorkName at = hiddenAs.get();
            return files.add(opened(Fs.open(at.dir(), at.name(), osFlags, 0), at.branch(), path));
        }
        boolean truncating = (flags & Fs.O_TRUNC) != 0;
        if (access != Fs.O_RDONLY || truncating) {
            try (CopyUp.Target t = copyUp.writable(path, truncating ? 0 : Long.MAX_VALUE)) {
                return files.add(opened(Fs.open(t.dir(), path.name(), osFlags, 0), t.branch(), path));
            }
        }
        try (DirView parent = lookup.openDir(path.parent())) {
            Entry e = lookup.entry(parent, path);
            return files.add(opened(Fs.open(parent.fd(e.level()), path.name(), osFlags, 0), e.branch(), path), copyUps);
        }
    }

    /** Lower branches never change, so only multi-link files of the writable branch need direct I/O. */
    private OpenFile opened(int fd, int branch, UnionPath path) throws ErrnoException {
        if (!branches.writable(branch)) {
            return new OpenFile(fd, branch, path, false);
        }
        try {
            Stat st = Fs.fstat(fd);
            noteLinks(branch, st);
            return new OpenFile(fd, branch, path,
                    st.isRegular() && everLinked.contains(InodeTable.derived(branches.id(branch), st.ino())));
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
        return Fs.pread(readable(handle).fd(), buf, size, offset);
    }

    /**
     * The open file to read {@code handle} through. A file opened from a read-only branch that
     * a writer has copied up since is reopened on the copy: the kernel keeps one page cache for
     * the path, so a page read through the lower descriptor after the copy-up would put the
     * original data in that cache where a writer's page was dropped, and every later open
     * would be served it (auto_cache sees no change in size or mtime by then). Reading the copy
     * also gives the reader the writes, as on a plain file. Checked only when some copy-up
     * completed since the last check, and only the same file (by union inode number) is taken.
     */
    private OpenFile readable(long handle) throws ErrnoException {
        OpenFile f = files.get(handle);
        if (f.branch() < 0 || branches.writable(f.branch())) {
            return f;
        }
        long copyUps = copyUp.completed();
        if (files.copyUpsSeen(handle) == copyUps) {
            return f;
        }
        Stat mine = Fs.fstat(f.fd());
        if (!mine.isRegular() || f.path().isRoot()) {
            files.checked(handle, copyUps);
            return f;
        }
        long number = withInode(f.branch(), mine, () -> InodeOrigin.readFd(f.fd())).ino();
        try (DirView parent = lookup.openDir(f.path().parent())) {
            Entry e = lookup.entry(parent, f.path());
            int dir = parent.fd(e.level());
            if (branches.writable(e.branch()) && e.stat().isRegular()
                    && withInode(e.branch(), e.stat(), origin(e.stat(), dir, f.path().name())).ino() == number) {
                int fd = Fs.open(dir, f.path().name(), Fs.O_RDONLY | Fs.O_NOFOLLOW, 0);
                LOG.debug("reading {} from its copy in {} from now on", f.path(), branches.stack().get(e.branch()).dir());
                return files.reopened(handle, new OpenFile(fd, e.branch(), f.path(), f.directIo()), copyUps);
            }
        } catch (ErrnoException gone) {
            // removed or renamed since: the reader keeps the file it opened
        }
        files.checked(handle, copyUps);
        return f;
    }

    public int write(long handle, Pointer buf, long size, long offset) throws ErrnoException {
        return Fs.pwrite(writableFd(handle), buf, size, offset);
    }

    public void ftruncate(long handle, long size) throws ErrnoException {
        Fs.ftruncate(writableFd(handle), size);
    }

    /**
     * Drops the set-user-ID and set-group-ID bits of open file {@code handle} as a write or truncate
     * by an unprivileged caller does (the kernel asks for this instead of doing it itself, see
     * {@link Stat#permissionsWithoutSetIds}); a file without them is not touched.
     */
    public void dropSetIds(long handle) throws ErrnoException {
        int fd = writableFd(handle);
        Stat st = Fs.fstat(fd);
        if (st.isRegular() && st.permissionsWithoutSetIds() != st.permissions()) {
            Fs.fchmod(fd, st.permissionsWithoutSetIds());
            LOG.debug("dropped the set-id bits of {} after an unprivileged change", files.get(handle).path());
        }
    }

    /** As {@link #dropSetIds(long)}, on {@code path}, which the change just made has put in a writable branch. */
    public void dropSetIds(UnionPath path) throws ErrnoException {
        Stat st = getattr(path);
        if (st.isRegular() && st.permissionsWithoutSetIds() != st.permissions()) {
            chmod(path, st.permissionsWithoutSetIds());
        }
    }

    /** The descriptor of an open file to write through: EROFS once its branch was deleted or made read-only (forced). */
    private int writableFd(long handle) throws ErrnoException {
        OpenFile f = files.get(handle);
        if (f.branch() < 0 || !branches.stack().get(f.branch()).mode().writable()) {
            throw new ErrnoException(Errno.EROFS, "the branch of open file " + f.path()
                    + (f.branch() < 0 ? " was deleted" : " is " + branches.stack().get(f.branch())));
        }
        return f.fd();
    }

    /** Syncs the file and, in the writable branch, its directory, so a copy-up survives a crash too. */
    public void fsync(long handle, boolean dataOnly) throws ErrnoException {
        OpenFile f = files.get(handle);
        Fs.fsync(f.fd(), dataOnly);
        if (f.branch() >= 0 && branches.writable(f.branch()) && !f.path().isRoot()) {
            int dir = copyUp.existingDir(f.branch(), f.path().parent());
            if (dir < 0) {
                return; // renamed or removed since: no directory entry of it left to make durable here
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

    /** Notes directory {@code path} open through the mount (it keeps its branches busy); returns its handle. */
    public long opendir(UnionPath path) {
        return dirs.add(path);
    }

    public void releasedir(long handle) {
        dirs.release(handle);
    }

    public void release(long handle) throws ErrnoException {
        OpenFile f = files.release(handle);
        if (f != null && !hidden.isEmpty() && !files.anyOpenAt(f.path())) {
            hidden.closed(f.path());
        }
    }

    /** Fills the native struct statvfs at {@code statvfs}, as {@link #statfsMode(StatfsMode)} chose. */
    public void statfs(Pointer statvfs) throws ErrnoException {
        Statfs.fill(branches, statfsMode, statvfs);
    }

    /** What statfs reports: the top branch's file system (default) or the sum over the branches'. */
    public void statfsMode(StatfsMode mode) {
        this.statfsMode = mode;
    }

    // ---- extended attributes ----

    /** The value, or null when the attribute does not exist. */
    public byte[] getxattr(UnionPath path, String attr) throws ErrnoException {
        if (InodeOrigin.isReserved(attr)) {
            return null;
        }
        if (!path.isRoot() && hidden.workName(path).isEmpty()) {
            try (DirView parent = lookup.openDir(path.parent())) {
                return Fs.getxattrAt(parent.fd(lookup.entry(parent, path).level()), path.name(), attr);
            }
        }
        int fd = openPathOnly(path);
        try {
            return Fs.getxattr(fd, attr);
        } finally {
            Fs.close(fd);
        }
    }

    public List<String> listxattr(UnionPath path) throws ErrnoException {
        if (!path.isRoot() && hidden.workName(path).isEmpty()) {
            try (DirView parent = lookup.openDir(path.parent())) {
                return Fs.listxattrAt(parent.fd(lookup.entry(parent, path).level()), path.name()).stream()
                        .filter(a -> !InodeOrigin.isReserved(a)).toList();
            }
        }
        int fd = openPathOnly(path);
        try {
            return Fs.listxattr(fd).stream().filter(a -> !InodeOrigin.isReserved(a)).toList();
        } finally {
            Fs.close(fd);
        }
    }

    private static void refuseReserved(String attr) throws ErrnoException {
        if (InodeOrigin.isReserved(attr)) {
            throw new ErrnoException(Errno.EPERM, "reserved extended attribute (layerfs bookkeeping): " + attr);
        }
    }

    /** A path-only descriptor on the visible entry at {@code path}. */
    private int openPathOnly(UnionPath path) throws ErrnoException {
        Optional<HiddenFiles.WorkName> hiddenAs = hidden.workName(path);
        if (hiddenAs.isPresent()) {
            return Fs.open(hiddenAs.get().dir(), hiddenAs.get().name(), Fs.O_PATH | Fs.O_NOFOLLOW, 0);
        }
        try (DirView parent = lookup.openDir(path.parent())) {
            Entry e = lookup.entry(parent, path);
            return Fs.open(parent.fd(e.level()), path.name(), Fs.O_PATH | Fs.O_NOFOLLOW, 0);
        }
    }

    public void setxattr(UnionPath path, String attr, byte[] value, int flags) throws ErrnoException {
        refuseReserved(attr);
        withWritable(path, Long.MAX_VALUE, (dir, name) -> withPathFd(dir, name, fd -> Fs.setxattr(fd, attr, value, flags)));
    }

    public void removexattr(UnionPath path, String attr) throws ErrnoException {
        refuseReserved(attr);
        withWritable(path, Long.MAX_VALUE, (dir, name) -> withPathFd(dir, name, fd -> Fs.removexattr(fd, attr)));
    }

    private interface FdAction {
        void run(int fd) throws ErrnoException;
    }

    private static void withPathFd(int dir, String name, FdAction action) throws ErrnoException {
        int fd = Fs.open(dir, name, Fs.O_PATH | Fs.O_NOFOLLOW, 0);
        try {
            action.run(fd);
        } finally {
            Fs.close(fd);
        }
    }

    // ---- attribute changes: copy-up, then change the writable copy ----

    public void chmod(UnionPath path, int mode) throws ErrnoException {
        withWritable(path, Long.MAX_VALUE, (dir, name) -> Fs.chmod(dir, name, mode & 07777));
    }

    public void chown(UnionPath path, int uid, int gid) throws ErrnoException {
        withWritable(path, Long.MAX_VALUE, (dir, name) -> Fs.chown(dir, name, uid, gid));
    }

    public void utimens(UnionPath path, long[] times) throws ErrnoException {
        withWritable(path, Long.MAX_VALUE, (dir, name) -> Fs.utimens(dir, name, times));
    }

    public void truncate(UnionPath path, long size) throws ErrnoException {
        withWritable(path, size, (dir, name) -> {
            int fd = Fs.open(dir, name, Fs.O_WRONLY | Fs.O_NOFOLLOW, 0);
            try {
                Fs.ftruncate(fd, size);
            } finally {
                Fs.close(fd);
            }
        });
    }

    private interface NameAction {
        void run(int dir, String name) throws ErrnoException;
    }

    /**
     * Runs {@code action} on the writable copy of {@code path}: copied up first (keeping at most
     * {@code keepBytes} of its data), or in the work directory for a removed open file.
     */
    private void withWritable(UnionPath path, long keepBytes, NameAction action) throws ErrnoException {
        Optional<HiddenFiles.WorkName> hiddenAs = hidden.workName(path);
        if (hiddenAs.isPresent()) {
            action.run(hiddenAs.get().dir(), hiddenAs.get().name());
            return;
        }
        try (CopyUp.Target t = copyUp.writable(path, keepBytes)) {
            action.run(t.dir(), path.name());
        }
    }

    // ---- names: made, removed, renamed ----

    public long create(UnionPath path, int mode, int flags, Caller caller) throws ErrnoException {
        return newEntries.create(path, mode, flags, caller);
    }

    public void mknod(UnionPath path, int mode, long rdev, Caller caller) throws ErrnoException {
        newEntries.mknod(path, mode, rdev, caller);
    }

    public void symlink(String target, UnionPath path, Caller caller) throws ErrnoException {
        newEntries.symlink(target, path, caller);
    }

    public void mkdir(UnionPath path, int mode, Caller caller) throws ErrnoException {
        try {
            newEntries.mkdir(path, mode, caller);
        } finally {
            lookup.directoryChanged(path);
        }
    }

    public void link(UnionPath from, UnionPath to) throws ErrnoException {
        NewEntries.Linked linked = newEntries.link(from, to);
        noteLinks(linked.branch(), linked.stat());
    }

    public void unlink(UnionPath path) throws ErrnoException {
        if (!hidden.remove(path)) {
            removal.unlink(path);
        }
    }

    public void rmdir(UnionPath path) throws ErrnoException {
        try {
            removal.rmdir(path);
        } finally {
            lookup.directoryChanged(path);
        }
    }

    public void rename(UnionPath from, UnionPath to) throws ErrnoException {
        if (HiddenFiles.isHidingName(to) && branches.writable() && from.parent().equals(to.parent())
                && files.anyOpenAt(from) && hidden.workName(from).isEmpty() && !getattr(from).isDirectory()) {
            hidden.hide(from, to); // libfuse keeping a removed open file alive
        } else {
            try {
                rename.rename(from, to);
            } finally {
                // a directory moved or was replaced (parents copied up on the way are forgotten by the copy-up)
                lookup.directoryChanged(from);
                lookup.directoryChanged(to);
            }
        }
    }

    @Override
    public void close() {
        lookup.cacheDirectories(false); // closes the remembered directories
        workDirs.close();
        branches.close();
    }
}
