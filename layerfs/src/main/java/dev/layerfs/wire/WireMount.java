package dev.layerfs.wire;

import dev.layerfs.mount.MountException;
import dev.layerfs.mount.MountOptions;
import dev.layerfs.mount.MountTable;
import dev.layerfs.sys.Errno;
import dev.layerfs.sys.ErrnoException;
import dev.layerfs.sys.Fs;
import dev.layerfs.union.UnionFs;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The wire engine: serves a union by speaking the kernel's FUSE protocol on /dev/fuse itself,
 * without libfuse. Opens /dev/fuse, mounts it with mount(2), answers FUSE_INIT with a modern
 * protocol (READDIRPLUS, 1 MiB requests, parallel directory operations, kernel-side caching),
 * then a fixed pool of Java threads each reads one request at a time and writes its reply,
 * until the file system is unmounted (the kernel then answers reads with ENODEV).
 */
public final class WireMount {

    private static final Logger LOG = LoggerFactory.getLogger(WireMount.class);
    private static final KernelCalls K = LibraryLoader.create(KernelCalls.class).load("c");
    private static final Runtime RUNTIME = Runtime.getRuntime(K);
    private static final int ENODEV = 19;
    private static final int EINTR = 4;
    /**
     * Worker threads, each with its own request and reply buffers, alive as long as the mount:
     * requests block on disk I/O, so twice the cores (at least 4) keep the cores busy.
     */
    private static final int THREADS = Integer.getInteger("layerfs.wire.threads",
            Math.max(4, 2 * java.lang.Runtime.getRuntime().availableProcessors()));

    private final Path mountPoint;
    private final MountOptions options;
    private final UnionFs union;
    private final MountFlags flags;
    private final WireOps ops;
    private final boolean debug;
    private volatile int fd = -1;
    private final AtomicBoolean initialized = new AtomicBoolean();
    private final AtomicBoolean stopped = new AtomicBoolean();

    /** A mount of {@code union} on {@code mountPoint}, served once {@link #serve()} is called. */
    public WireMount(Path mountPoint, MountOptions options, UnionFs union, boolean asRoot, boolean debug) {
        this.mountPoint = mountPoint;
        this.options = options;
        this.union = union;
        this.flags = MountFlags.of(options.passThrough(), asRoot);
        this.ops = new WireOps(union, CachePolicy.of(options));
        this.debug = debug;
    }

    /** Shorthand: mounts and serves until unmounted (blocking), with no branch changes to relay. */
    public static void serve(Path mountPoint, MountOptions options, UnionFs union, boolean asRoot, boolean debug) {
        new WireMount(mountPoint, options, union, asRoot, debug).serve();
    }

    /** Mounts and serves until the file system is unmounted (blocking). */
    public void serve() {
        try {
            fd = Fs.open(-100 /* AT_FDCWD */, "/dev/fuse", Fs.O_RDWR, 0);
        } catch (ErrnoException e) {
            throw new MountException("cannot open /dev/fuse: " + e.getMessage(), e);
        }
        try {
            String data = "fd=" + fd + ",rootmode=40000,user_id=" + flags.uid() + ",group_id=" + flags.gid() + flags.data();
            if (K.mount(flags.fsname(), mountPoint.toString(), "fuse." + flags.subtype(), flags.mountFlags(), data) != 0) {
                int e = RUNTIME.getLastError();
                // only root (CAP_SYS_ADMIN) may mount(2); libfuse goes through the setuid fusermount
                String hint = e == Errno.EPERM ? "; as another user than root, mount with -o engine=jnr-fuse" : "";
                throw new MountException("mount(2) of " + mountPoint + " failed: " + Errno.describe(e) + " (" + Errno.name(e) + ")" + hint);
            }
            LOG.info("mounted {} on {} (wire engine, {} threads, {})", options.branches().spec(), mountPoint, THREADS, data);
            Thread hook = new Thread(this::unmountIfMounted, "layerfs-unmount");
            java.lang.Runtime.getRuntime().addShutdownHook(hook);
            try {
                run();
            } finally {
                try {
                    java.lang.Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException shuttingDown) {
                    // the hook runs already
                }
            }
        } finally {
            stopped.set(true);
            int f = fd;
            fd = -1;
            Fs.close(f);
        }
    }

    /**
     * The branch stack changed under the mount: forget what this engine caches, and make the
     * kernel drop the names, attributes, pages and listings it keeps here for a minute (names
     * it knows to be absent it keeps for negative_timeout, as with jnr-fuse).
     */
    public void branchesChanged() {
        ops.forgetCaches();
        int f = fd;
        if (!initialized.get() || stopped.get() || f < 0) {
            return;
        }
        Pointer buf = Memory.allocateDirect(Runtime.getSystemRuntime(), Protocol.OUT_HEADER + 16 + 1024);
        for (NodeTable.Name n : ops.names()) {
            byte[] name = n.name().getBytes(Fs.NAMES);
            if (name.length >= 1024) {
                continue;
            }
            int len = Protocol.OUT_HEADER + 16 + name.length + 1;
            buf.putInt(0, len);
            buf.putInt(4, Protocol.NOTIFY_INVAL_ENTRY);
            buf.putLong(8, 0);
            buf.putLong(16, n.parent());
            buf.putInt(24, name.length);
            buf.putInt(28, 0);
            buf.put(32, name, 0, name.length);
            buf.putByte(32 + name.length, (byte) 0);
            K.write(f, buf, len); // fails with ENOENT when the kernel no longer has it: nothing to drop
        }
        for (long node : ops.nodeIds()) {
            notifyInode(buf, node, 0); // attributes and every cached page or listing
        }
    }

    private void unmountIfMounted() {
        if (!stopped.get() && MountTable.isMounted(mountPoint)) {
            K.umount2(mountPoint.toString(), KernelCalls.MNT_DETACH);
        }
    }

    private void run() {
        List<Thread> workers = new ArrayList<>();
        for (int i = 0; i < THREADS; i++) {
            Thread t = new Thread(this::work, "layerfs-wire-" + i);
            t.setDaemon(true);
            workers.add(t);
            t.start();
        }
        for (Thread t : workers) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                unmountIfMounted();
            }
        }
    }

    /** One worker: read a request, serve it, write the reply; until the file system is gone. */
    private void work() {
        Runtime rt = Runtime.getSystemRuntime();
        Pointer inBuf = Memory.allocateDirect(rt, Protocol.REQUEST_BUFFER);
        Pointer outBuf = Memory.allocateDirect(rt, Protocol.OUT_HEADER + Protocol.MAX_WRITE + 4096);
        Pointer notifyBuf = Memory.allocateDirect(rt, 64);
        Request in = new Request(inBuf);
        Reply out = new Reply(outBuf, Protocol.OUT_HEADER + Protocol.MAX_WRITE);
        WireOps.Notifier notifier = new WireOps.Notifier() {
            @Override
            public void invalidateAttributes(long nodeid) {
                notifyInode(notifyBuf, nodeid, -1);
            }

            @Override
            public void invalidateContent(long nodeid) {
                notifyInode(notifyBuf, nodeid, 0);
            }
        };
        while (!stopped.get()) {
            long n = K.read(fd, inBuf, Protocol.REQUEST_BUFFER);
            if (n < 0) {
                int e = RUNTIME.getLastError();
                if (e == EINTR || e == Errno.EAGAIN || e == Errno.ENOENT) {
                    continue; // interrupted, or the request was withdrawn before we got it
                }
                if (e != ENODEV) {
                    LOG.error("reading /dev/fuse for {} failed: {}", mountPoint, Errno.describe(e));
                }
                stopped.set(true);
                return;
            }
            in.filled((int) n);
            out.begin();
            if (in.opcode() == Protocol.INIT) {
                init(in, out);
                send(out, in.unique(), 0);
                continue;
            }
            int error = 0;
            long started = debug ? System.nanoTime() : 0;
            WireOps.Outcome outcome;
            try {
                try (var held = union.hold()) { // a branch change waits for the requests in flight
                    outcome = ops.serve(in, out, notifier);
                }
            } catch (ErrnoException e) {
                error = -e.errno();
                outcome = WireOps.Outcome.REPLY;
                if (e.errno() == Errno.EIO) {
                    LOG.warn("opcode {} on node {}: {}", in.opcode(), in.nodeid(), e.toString());
                } else if (debug || LOG.isDebugEnabled()) {
                    LOG.debug("opcode {} on node {}: {}", in.opcode(), in.nodeid(), e.toString());
                }
            } catch (RuntimeException | Error e) {
                LOG.error("opcode {} on node {} failed unexpectedly", in.opcode(), in.nodeid(), e);
                error = -Errno.EIO;
                outcome = WireOps.Outcome.REPLY;
            }
            if (debug) {
                LOG.info("unique {} opcode {} node {}: {} ({} us)", in.unique(), in.opcode(), in.nodeid(), error,
                        (System.nanoTime() - started) / 1000);
            }
            if (outcome == WireOps.Outcome.NO_REPLY) {
                continue;
            }
            if (error != 0) {
                out.begin();
            }
            send(out, in.unique(), error);
            if (outcome == WireOps.Outcome.STOP) {
                stopped.set(true);
                return;
            }
        }
    }

    private void send(Reply out, long unique, int error) {
        out.seal(unique, error);
        if (K.write(fd, out.buffer(), out.size()) < 0) {
            int e = RUNTIME.getLastError();
            if (e != Errno.ENOENT) { // ENOENT: the request was interrupted meanwhile; nobody waits for it
                LOG.warn("reply to request {} on {} not delivered: {}", unique, mountPoint, Errno.describe(e));
            }
        }
    }

    /** NOTIFY_INVAL_INODE: offset < 0 drops the attributes only, 0 also every cached page. */
    private void notifyInode(Pointer buf, long nodeid, long offset) {
        buf.putInt(0, Protocol.OUT_HEADER + 24);
        buf.putInt(4, Protocol.NOTIFY_INVAL_INODE);
        buf.putLong(8, 0);
        buf.putLong(16, nodeid);
        buf.putLong(24, offset);
        buf.putLong(32, 0);
        if (K.write(fd, buf, Protocol.OUT_HEADER + 24) < 0 && LOG.isDebugEnabled()) {
            LOG.debug("invalidating node {}: {}", nodeid, Errno.describe(RUNTIME.getLastError()));
        }
    }

    /** Answers FUSE_INIT: the protocol version both know, and the features layerfs wants that the kernel offers. */
    private void init(Request in, Reply out) {
        int major = in.int32(0);
        int minor = in.int32(4);
        int readahead = in.int32(8);
        int offered = in.int32(12);
        if (major > Protocol.MAJOR) { // the kernel will ask again with our major version
            out.u32(Protocol.MAJOR).u32(0);
            return;
        }
        int ourMinor = Math.min(minor, Protocol.MAX_MINOR);
        int wanted = Protocol.ASYNC_READ | Protocol.ATOMIC_O_TRUNC | Protocol.BIG_WRITES | Protocol.AUTO_INVAL_DATA
                | Protocol.DO_READDIRPLUS | Protocol.READDIRPLUS_AUTO | Protocol.ASYNC_DIO
                | Protocol.PARALLEL_DIROPS | Protocol.MAX_PAGES;
        if (ops.cachesLong()) {
            wanted |= Protocol.CACHE_SYMLINKS;
        }
        // The kernel enforces POSIX ACLs only when this is negotiated (default_permissions alone
        // checks the mode bits), and it then keeps each inode's ACLs, or their absence, instead
        // of asking for system.posix_acl_* on every access check and every ls -l.
        // -Dlayerfs.wire.posixAcl=false is the way back to mode bits only.
        if (Boolean.parseBoolean(System.getProperty("layerfs.wire.posixAcl", "true"))) {
            wanted |= Protocol.POSIX_ACL;
        }
        // The daemon drops set-user-ID and set-group-ID when the kernel says a change needs it
        // (WireOps), so the kernel need not ask for the mode before each chown, nor for
        // security.capability before every write() (the mount becomes SB_NOSEC); and a
        // truncating open by an unprivileged caller drops them too, which without this the
        // kernel skips when the open itself truncates (ATOMIC_O_TRUNC).
        // -Dlayerfs.wire.killpriv=false goes back to the kernel doing it alone.
        if (Boolean.parseBoolean(System.getProperty("layerfs.wire.killpriv", "true"))) {
            wanted |= Protocol.HANDLE_KILLPRIV_V2;
        }
        int granted = wanted & offered;
        out.u32(Protocol.MAJOR).u32(ourMinor).u32(readahead).u32(granted)
                .u32((12 << 16) | 16) // max_background 16, congestion_threshold 12 (two u16)
                .u32(Protocol.MAX_WRITE).u32(1) // time granularity: 1 ns
                .u32(Protocol.PAGES) // max_pages (u16), map_alignment 0 (u16)
                .u32(0); // flags2
        for (int i = 0; i < 7; i++) {
            out.u32(0);
        }
        initialized.set(true);
        LOG.info("FUSE protocol {}.{} (kernel offers {}.{}), flags 0x{} of offered 0x{}, max_write {}",
                Protocol.MAJOR, ourMinor, major, minor, Integer.toHexString(granted), Integer.toHexString(offered),
                Protocol.MAX_WRITE);
    }
}
