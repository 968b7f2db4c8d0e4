package dev.layerfs.wire;

import dev.layerfs.fuse.XattrProbes;
import dev.layerfs.sys.Errno;
import dev.layerfs.sys.ErrnoException;
import dev.layerfs.sys.Fs;
import dev.layerfs.sys.Stat;
import dev.layerfs.union.Caller;
import dev.layerfs.union.UnionFs;
import dev.layerfs.union.UnionPath;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;

import java.util.List;
import java.util.Optional;

/**
 * The switchboard of the wire engine: decodes each request's arguments, calls {@link UnionFs}
 * and encodes the result. Node ids become union paths through the {@link NodeTable}; no union
 * logic lives here. Requests this engine does not serve answer ENOSYS, which makes the kernel
 * stop asking (FLUSH, ACCESS, FSYNCDIR, locks and the like are the kernel's own business here).
 */
final class WireOps {

    /** What a request handler does with the reply it built. */
    enum Outcome { REPLY, NO_REPLY, STOP }

    /** Sends unsolicited messages to the kernel. */
    interface Notifier {
        /** Drops the kernel's cached attributes of {@code nodeid} (not its pages). */
        void invalidateAttributes(long nodeid);

        /** Drops the kernel's cached attributes and pages (a directory's: its listing) of {@code nodeid}. */
        void invalidateContent(long nodeid);
    }

    private static final long UTIME_NOW = (1L << 30) - 1;
    private static final long UTIME_OMIT = (1L << 30) - 2;
    private static final int STATVFS_SIZE = 112;

    private final UnionFs union;
    private final NodeTable nodes = new NodeTable();
    private final OpenDirs dirs;
    private final XattrProbes probes;
    private final CachePolicy cache;
    private final ThreadLocal<Pointer> statvfs = ThreadLocal.withInitial(
            () -> Memory.allocateDirect(Runtime.getSystemRuntime(), STATVFS_SIZE));

    WireOps(UnionFs union, CachePolicy cache) {
        this.union = union;
        this.cache = cache;
        this.dirs = new OpenDirs(union);
        this.probes = new XattrProbes(union);
    }

    /**
     * After a branch change: forgets what this engine caches about files (xattr names) and
     * marks the listings taken so far as the old stack's.
     */
    void forgetCaches() {
        probes.forget();
        dirs.branchesChanged();
    }

    List<NodeTable.Name> names() {
        return nodes.names();
    }

    List<Long> nodeIds() {
        return nodes.ids();
    }

    /** Whether the kernel may keep pages, listings and symlink targets across opens. */
    boolean cachesLong() {
        return cache.keepPages();
    }

    /** Serves one request into {@code out} (begun, empty); failures throw with the errno to answer. */
    Outcome serve(Request in, Reply out, Notifier notifier) throws ErrnoException {
        long node = in.nodeid();
        switch (in.opcode()) {
            case Protocol.LOOKUP -> lookup(node, in.name(0), out);
            case Protocol.FORGET -> {
                nodes.forget(node, in.int64(0));
                return Outcome.NO_REPLY;
            }
            case Protocol.BATCH_FORGET -> {
                int count = in.int32(0);
                for (int i = 0; i < count; i++) {
                    nodes.forget(in.int64(8 + i * 16), in.int64(16 + i * 16));
                }
                return Outcome.NO_REPLY;
            }
            case Protocol.GETATTR -> {
                Stat st = (in.int32(0) & Protocol.GETATTR_FH) != 0 ? union.fgetattr(in.int64(8)) : stat(node);
                out.attrOut(st, cache.attrFor(st));
            }
            case Protocol.SETATTR -> setattr(node, in, out);
            case Protocol.READLINK -> out.bytes(union.readlink(nodes.path(node)));
            case Protocol.SYMLINK -> {
                String name = in.name(0);
                String target = in.name(in.afterName(0));
                UnionPath p = nodes.child(node, name);
                union.symlink(target, p, caller(in));
                created(node, name, p, out);
            }
            case Protocol.MKNOD -> {
                String name = in.name(16);
                UnionPath p = nodes.child(node, name);
                int rdev = in.int32(4);
                long dev = Stat.makedev((rdev & 0xfff00) >>> 8, (rdev & 0xff) | ((rdev >>> 12) & 0xfff00));
                union.mknod(p, in.int32(0), dev, caller(in));
                created(node, name, p, out);
            }
            case Protocol.MKDIR -> {
                String name = in.name(8);
                UnionPath p = nodes.child(node, name);
                union.mkdir(p, in.int32(0), caller(in));
                created(node, name, p, out);
            }
            case Protocol.UNLINK -> unlink(node, in.name(0));
            case Protocol.RMDIR -> {
                String name = in.name(0);
                UnionPath p = nodes.child(node, name);
                union.rmdir(p);
                probes.forget(p.toString());
                nodes.removed(node, name);
            }
            case Protocol.RENAME -> rename(node, in.int64(0), in, 8, 0);
            case Protocol.RENAME2 -> rename(node, in.int64(0), in, 16, in.int32(8));
            case Protocol.LINK -> {
                long from = in.int64(0);
                String name = in.name(8);
                UnionPath to = nodes.child(node, name);
                union.link(nodes.path(from), to);
                created(node, name, to, out);
                // The old name is another kernel inode whose cached attributes (nlink, and any
                // later size) would go stale; from now on both names have several links.
                notifier.invalidateAttributes(from);
            }
            case Protocol.OPEN -> {
                long h = union.open(nodes.path(node), in.int32(0));
                nodes.opened(node, h);
                dropSetIdsIfAsked(in.int32(4), h);
                openOut(out, h);
            }
            case Protocol.CREATE -> {
                String name = in.name(16);
                UnionPath p = nodes.child(node, name);
                long h = union.create(p, in.int32(4), in.int32(0), caller(in));
                long id;
                try {
                    id = created(node, name, p, out);
                } catch (ErrnoException e) {
                    union.release(h);
                    throw e;
                }
                nodes.opened(id, h);
                dropSetIdsIfAsked(in.int32(12), h);
                openOut(out, h);
            }
            case Protocol.READ -> {
                int size = Math.min(in.int32(16), out.room());
                out.skip(union.read(in.int64(0), out.tail(), size, in.int64(8)));
            }
            case Protocol.WRITE -> {
                if ((in.int32(20) & Protocol.WRITE_KILL_SUIDGID) != 0) {
                    union.dropSetIds(in.int64(0));
                }
                int n = union.write(in.int64(0), in.data(Protocol.WRITE_IN), in.int32(16), in.int64(8));
                out.u32(n).u32(0);
            }
            case Protocol.STATFS -> statfs(out);
            case Protocol.RELEASE -> {
                long h = in.int64(0);
                synchronized (openCloseLock(node)) { // see unlink
                    nodes.released(node, h);
                    union.release(h);
                }
            }
            case Protocol.FSYNC -> union.fsync(in.int64(0), (in.int32(8) & Protocol.FSYNC_FDATASYNC) != 0);
            case Protocol.SETXATTR -> {
                int size = in.int32(0);
                String name = in.name(Protocol.SETXATTR_IN);
                byte[] value = in.bytes(in.afterName(Protocol.SETXATTR_IN), size);
                union.setxattr(nodes.path(node), name, value, in.int32(4));
                probes.forget(); // every name of the file: a hard link's other names see the change too
            }
            case Protocol.GETXATTR -> getxattr(node, in.int32(0), in.name(8), out);
            case Protocol.LISTXATTR -> {
                StringBuilder names = new StringBuilder();
                for (String n : union.listxattr(nodes.path(node))) {
                    names.append(n).append('\0');
                }
                sized(names.toString().getBytes(Fs.NAMES), in.int32(0), out);
            }
            case Protocol.REMOVEXATTR -> {
                union.removexattr(nodes.path(node), in.name(0));
                probes.forget();
            }
            case Protocol.OPENDIR -> {
                long h = union.opendir(nodes.path(node)); // open directories pin their branches
                dirs.open(h);
                out.u64(h).u32(cache.keepPages() ? Protocol.FOPEN_CACHE_DIR | Protocol.FOPEN_KEEP_CACHE : 0).u32(0);
            }
            case Protocol.READDIR -> readdir(in, out, false);
            case Protocol.READDIRPLUS -> readdir(in, out, true);
            case Protocol.RELEASEDIR -> {
                if (dirs.release(in.int64(0)) && cache.keepPages()) {
                    notifier.invalidateContent(node); // it may have cached a listing of the old stack
                }
                union.releasedir(in.int64(0));
            }
            case Protocol.INTERRUPT -> {
                return Outcome.NO_REPLY; // every request here finishes promptly; nothing to cut short
            }
            case Protocol.DESTROY -> {
                return Outcome.STOP;
            }
            default -> throw new ErrnoException(Errno.ENOSYS, "opcode " + in.opcode() + " not served");
        }
        return Outcome.REPLY;
    }

    private static Caller caller(Request in) {
        return new Caller(in.uid(), in.gid());
    }

    /** The status of a node: by its path, or through an open file once its name was removed. */
    private Stat stat(long node) throws ErrnoException {
        try {
            return union.getattr(nodes.path(node));
        } catch (ErrnoException e) {
            Optional<Long> h = e.errno() == Errno.ENOENT ? nodes.anyHandle(node) : Optional.empty();
            if (h.isEmpty()) {
                throw e;
            }
            return union.fgetattr(h.get());
        }
    }

    private void lookup(long parent, String name, Reply out) throws ErrnoException {
        UnionPath p = nodes.child(parent, name);
        Stat st;
        try {
            st = union.getattr(p);
        } catch (ErrnoException e) {
            if (e.errno() == Errno.ENOENT && cache.negative() > 0) {
                out.entry(0, null, cache.negative(), 0); // the kernel remembers the absence
                return;
            }
            throw e;
        }
        out.entry(nodes.lookedUp(parent, name), st, cache.entry(), cache.attrFor(st));
    }

    /** A new name was made at {@code p}: its entry (one lookup) goes back to the kernel. */
    private long created(long parent, String name, UnionPath p, Reply out) throws ErrnoException {
        probes.forget(p.toString());
        Stat st = union.getattr(p);
        long id = nodes.lookedUp(parent, name);
        out.entry(id, st, cache.entry(), cache.attrFor(st));
        return id;
    }

    private void openOut(Reply out, long handle) throws ErrnoException {
        int flags = union.directIo(handle) ? Protocol.FOPEN_DIRECT_IO
                : cache.keepPages() ? Protocol.FOPEN_KEEP_CACHE : 0;
        out.u64(handle).u32(flags).u32(0);
    }

    private void setattr(long node, Request in, Reply out) throws ErrnoException {
        int valid = in.int32(0);
        long fh = in.int64(8);
        boolean byHandle = (valid & Protocol.FATTR_FH) != 0;
        UnionPath p = null;
        try {
            p = nodes.path(node);
        } catch (ErrnoException e) {
            // a file removed while open: only ftruncate (size by handle, with the "times now"
            // the kernel adds to it; truncating sets them anyway) still has something to change
            int implicit = Protocol.FATTR_FH | Protocol.FATTR_SIZE | Protocol.FATTR_LOCKOWNER | Protocol.FATTR_CTIME
                    | Protocol.FATTR_MTIME | Protocol.FATTR_MTIME_NOW;
            if (!byHandle || (valid & Protocol.FATTR_SIZE) == 0 || (valid & ~implicit) != 0) {
                throw e;
            }
            valid &= Protocol.FATTR_FH | Protocol.FATTR_SIZE;
        }
        if ((valid & Protocol.FATTR_MODE) != 0) {
            union.chmod(p, in.int32(68));
        }
        if ((valid & (Protocol.FATTR_UID | Protocol.FATTR_GID)) != 0) {
            union.chown(p, (valid & Protocol.FATTR_UID) != 0 ? in.int32(76) : -1,
                    (valid & Protocol.FATTR_GID) != 0 ? in.int32(80) : -1);
        }
        if ((valid & Protocol.FATTR_SIZE) != 0) {
            if (byHandle) {
                union.ftruncate(fh, in.int64(16));
            } else {
                union.truncate(p, in.int64(16));
            }
        }
        int times = Protocol.FATTR_ATIME | Protocol.FATTR_MTIME | Protocol.FATTR_ATIME_NOW | Protocol.FATTR_MTIME_NOW;
        if ((valid & times) != 0) {
            union.utimens(p, new long[] {
                    time(valid, Protocol.FATTR_ATIME_NOW, Protocol.FATTR_ATIME, in.int64(32)),
                    nanos(valid, Protocol.FATTR_ATIME_NOW, Protocol.FATTR_ATIME, in.int32(56)),
                    time(valid, Protocol.FATTR_MTIME_NOW, Protocol.FATTR_MTIME, in.int64(40)),
                    nanos(valid, Protocol.FATTR_MTIME_NOW, Protocol.FATTR_MTIME, in.int32(60))});
        }
        if ((valid & Protocol.FATTR_KILL_SUIDGID) != 0) { // a truncate or chown (see HANDLE_KILLPRIV_V2)
            if (p != null) {
                union.dropSetIds(p);
            } else {
                union.dropSetIds(fh);
            }
        }
        Stat st = p != null ? stat(node) : union.fgetattr(fh);
        out.attrOut(st, cache.attrFor(st));
    }

    /** A truncating open by a caller without CAP_FSETID: the set-id bits go, as with truncate (HANDLE_KILLPRIV_V2). */
    private void dropSetIdsIfAsked(int openFlags, long handle) throws ErrnoException {
        if ((openFlags & Protocol.OPEN_KILL_SUIDGID) != 0) {
            union.dropSetIds(handle);
        }
    }

    private static long time(int valid, int now, int set, long sec) {
        return (valid & now) != 0 || (valid & set) == 0 ? 0 : sec;
    }

    private static long nanos(int valid, int now, int set, int nsec) {
        if ((valid & now) != 0) {
            return UTIME_NOW;
        }
        return (valid & set) != 0 ? nsec : UTIME_OMIT;
    }

    /**
     * Removes a name. A file still open under it is moved out of sight instead, as libfuse does
     * ({@code .fuse_hidden...}): the union keeps it in the work directory until the last close,
     * where it still answers through its node and keeps its branch busy.
     */
    private void unlink(long parent, String name) throws ErrnoException {
        UnionPath p = nodes.child(parent, name);
        long node = nodes.find(parent, name);
        // close(2) does not wait for RELEASE: a release between "still open?" and the rename
        // would leave a plain .fuse_hidden name behind (the union hides only what is open)
        synchronized (openCloseLock(node)) {
            if (node != 0 && nodes.anyHandle(node).isPresent()) {
                String hidden = String.format(".fuse_hidden%08x%08x", node & 0xffffffffL, hiddenCount.incrementAndGet() & 0xffffffffL);
                union.rename(p, p.parent().child(hidden));
                probes.forget();
                nodes.renamed(parent, name, parent, hidden);
                return;
            }
        }
        union.unlink(p);
        probes.forget(p.toString());
        nodes.removed(parent, name);
    }

    private final java.util.concurrent.atomic.AtomicLong hiddenCount = new java.util.concurrent.atomic.AtomicLong();
    /** Striped by node: an unlink that hides an open file and that file's release never interleave. */
    private final Object[] openCloseLocks = java.util.stream.Stream.generate(Object::new).limit(64).toArray();

    private Object openCloseLock(long node) {
        return openCloseLocks[(int) (node & (openCloseLocks.length - 1))];
    }

    private void rename(long fromParent, long toParent, Request in, int namesAt, int flags) throws ErrnoException {
        String fromName = in.name(namesAt);
        String toName = in.name(in.afterName(namesAt));
        UnionPath from = nodes.child(fromParent, fromName);
        UnionPath to = nodes.child(toParent, toName);
        if ((flags & ~Protocol.RENAME_NOREPLACE) != 0) {
            throw new ErrnoException(Errno.EINVAL, "rename flags " + flags + " (only RENAME_NOREPLACE is supported): " + from);
        }
        if (flags != 0 && exists(to)) {
            throw new ErrnoException(Errno.EEXIST, "rename " + from + " to " + to + ": target exists");
        }
        union.rename(from, to);
        probes.forget(); // a renamed directory moves a whole subtree of cached paths
        nodes.renamed(fromParent, fromName, toParent, toName);
    }

    private boolean exists(UnionPath p) throws ErrnoException {
        try {
            union.getattr(p);
            return true;
        } catch (ErrnoException e) {
            if (e.errno() == Errno.ENOENT) {
                return false;
            }
            throw e;
        }
    }

    private void statfs(Reply out) throws ErrnoException {
        Pointer v = statvfs.get();
        union.statfs(v);
        // struct statvfs (64-bit glibc): bsize 0, frsize 8, blocks 16, bfree 24, bavail 32,
        // files 40, ffree 48, favail 56, fsid 64, flag 72, namemax 80
        out.u64(v.getLong(16)).u64(v.getLong(24)).u64(v.getLong(32)).u64(v.getLong(40)).u64(v.getLong(48))
                .u32((int) v.getLong(0)).u32((int) v.getLong(80)).u32((int) v.getLong(8)).u32(0);
        for (int i = 0; i < 6; i++) {
            out.u32(0);
        }
    }

    private void getxattr(long node, int size, String name, Reply out) throws ErrnoException {
        UnionPath p;
        try {
            p = nodes.path(node);
        } catch (ErrnoException e) {
            if (nodes.anyHandle(node).isPresent()) {
                throw new ErrnoException(Errno.ENODATA, "no attributes on a removed open file");
            }
            throw e;
        }
        byte[] v = probes.get(p.toString(), name);
        if (v == null) {
            throw new ErrnoException(Errno.ENODATA, name);
        }
        sized(v, size, out);
    }

    /** The xattr convention: size 0 asks for the length; too small a buffer is ERANGE. */
    private static void sized(byte[] data, int size, Reply out) throws ErrnoException {
        if (size == 0) {
            out.u32(data.length).u32(0);
        } else if (data.length > size) {
            throw new ErrnoException(Errno.ERANGE, "value of " + data.length + " bytes, buffer " + size);
        } else {
            out.bytes(data);
        }
    }

    private void readdir(Request in, Reply out, boolean plus) throws ErrnoException {
        long handle = in.int64(0);
        long offset = in.int64(8);
        int limit = Math.min(in.int32(16), out.room());
        UnionPath dir;
        try {
            dir = nodes.path(in.nodeid());
        } catch (ErrnoException removed) {
            return; // a removed directory, still open: nothing (more) to list
        }
        Listing listing = dirs.listing(handle, in.nodeid(), offset, dir);
        List<UnionFs.Dirent> entries = listing.entries();
        // which entries fit: sizes depend on the names alone
        int first = Math.min(Listing.indexOf(offset), entries.size());
        int last = first;
        int used = 0;
        List<String> names = new java.util.ArrayList<>();
        for (; last < entries.size(); last++) {
            String name = entries.get(last).name();
            int size = Protocol.align8(Protocol.DIRENT + name.getBytes(Fs.NAMES).length) + (plus ? Protocol.ENTRY_OUT : 0);
            if (used + size > limit) {
                break;
            }
            used += size;
            if (plus && !dotOrDotDot(name)) {
                names.add(name);
            }
        }
        // READDIRPLUS: every entry's attributes, walking to the directory once
        List<Optional<Stat>> stats = plus && !names.isEmpty()
                ? union.getattrs(dir, names) : List.of();
        int statAt = 0;
        for (int i = first; i < last; i++) {
            UnionFs.Dirent d = entries.get(i);
            byte[] name = d.name().getBytes(Fs.NAMES);
            long ino = d.inode();
            if (plus) {
                Stat st = dotOrDotDot(d.name()) ? null : stats.get(statAt++).orElse(null);
                if (st == null) {
                    out.entry(0, null, 0, 0); // no entry: the kernel looks the name up itself if it needs it
                } else {
                    ino = st.ino();
                    out.entry(nodes.lookedUp(in.nodeid(), d.name()), st, cache.entry(), cache.attrFor(st));
                }
            }
            out.u64(ino).u64(listing.cookie(i)).u32(name.length).u32(d.modeType() >>> 12).bytes(name).pad8();
        }
    }

    private static boolean dotOrDotDot(String name) {
        return name.equals(".") || name.equals("..");
    }

}
