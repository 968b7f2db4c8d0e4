package dev.layerfs.fuse;

import dev.layerfs.sys.Errno;
import dev.layerfs.sys.Fs;
import dev.layerfs.union.Caller;
import dev.layerfs.union.UnionFs;
import dev.layerfs.union.UnionPath;
import jnr.ffi.Pointer;
import jnr.ffi.Struct;
import jnr.ffi.types.dev_t;
import jnr.ffi.types.gid_t;
import jnr.ffi.types.mode_t;
import jnr.ffi.types.off_t;
import jnr.ffi.types.size_t;
import jnr.ffi.types.uid_t;
import ru.serce.jnrfuse.FuseFillDir;
import ru.serce.jnrfuse.FuseStubFS;
import ru.serce.jnrfuse.struct.FileStat;
import ru.serce.jnrfuse.struct.FuseContext;
import ru.serce.jnrfuse.struct.FuseFileInfo;
import ru.serce.jnrfuse.struct.Statvfs;
import ru.serce.jnrfuse.struct.Timespec;

import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * The jnr-fuse switchboard: each callback translates its arguments, calls {@link UnionFs} and
 * turns the outcome into libfuse's convention (0 or a byte count, or a negative errno from
 * {@link Errors}). No union logic lives here. Callbacks not overridden (flush, access, lock)
 * answer ENOSYS, which tells the kernel to stop asking: one round trip saved per close. Every
 * callback runs with the branch stack held still, so a live branch change waits for it.
 */
public final class LayerFuse extends FuseStubFS {

    /** One operation; its failure becomes an errno. */
    private interface Op {
        int run() throws Exception;
    }

    private final UnionFs union;
    private final XattrProbes probes;

    public LayerFuse(UnionFs union) {
        this.union = union;
        this.probes = new XattrProbes(union);
        OperationFlags.set(fuseOperations);
    }

    /** Mounts and serves until unmounted (blocking), with libfuse's multithreaded loop. */
    public void serve(Path mountPoint, boolean debug, String[] fuseArgs) {
        try {
            mount(mountPoint, true, debug, fuseArgs);
        } finally {
            mounted.set(false); // unmounted already: keep jnr-fuse's shutdown hook from unmounting again
        }
    }

    /** Runs one operation with the branch stack held still (see {@link UnionFs#hold}). */
    private int call(String op, String path, Op body) {
        try (var held = union.hold()) {
            return body.run();
        } catch (Exception e) {
            return Errors.errno(op, path, e);
        }
    }

    /** Forgets what this layer caches about the union's files: called after a branch change. */
    public void branchesChanged() {
        probes.forget();
    }

    private Caller caller() {
        FuseContext ctx = getContext();
        return new Caller((int) ctx.uid.get(), (int) ctx.gid.get());
    }

    private static UnionPath p(String path) {
        return UnionPath.of(path);
    }

    // ---- attributes ----

    @Override
    public int getattr(String path, FileStat stat) {
        return call("getattr", path, () -> {
            StatFiller.fill(union.getattr(p(path)), stat);
            return 0;
        });
    }

    @Override
    public int fgetattr(String path, FileStat stat, FuseFileInfo fi) {
        return call("fgetattr", path, () -> {
            StatFiller.fill(union.fgetattr(fi.fh.get()), stat);
            return 0;
        });
    }

    @Override
    public int chmod(String path, @mode_t long mode) {
        return call("chmod", path, () -> {
            union.chmod(p(path), (int) mode);
            return 0;
        });
    }

    @Override
    public int chown(String path, @uid_t long uid, @gid_t long gid) {
        return call("chown", path, () -> {
            union.chown(p(path), (int) uid, (int) gid);
            return 0;
        });
    }

    @Override
    public int utimens(String path, Timespec[] ts) {
        return call("utimens", path, () -> {
            union.utimens(p(path), new long[] {ts[0].tv_sec.get(), ts[0].tv_nsec.longValue(),
                    ts[1].tv_sec.get(), ts[1].tv_nsec.longValue()});
            return 0;
        });
    }

    @Override
    public int truncate(String path, @off_t long size) {
        return call("truncate", path, () -> {
            union.truncate(p(path), size);
            return 0;
        });
    }

    @Override
    public int ftruncate(String path, @off_t long size, FuseFileInfo fi) {
        return call("ftruncate", path, () -> {
            union.ftruncate(fi.fh.get(), size);
            return 0;
        });
    }

    @Override
    public int statfs(String path, Statvfs stbuf) {
        return call("statfs", path, () -> {
            union.statfs(Struct.getMemory(stbuf));
            return 0;
        });
    }

    // ---- names ----

    @Override
    public int readlink(String path, Pointer buf, @size_t long size) {
        return call("readlink", path, () -> {
            byte[] target = union.readlink(p(path));
            int n = (int) Math.min(target.length, size - 1);
            buf.put(0, target, 0, n);
            buf.putByte(n, (byte) 0);
            return 0;
        });
    }

    @Override
    public int mknod(String path, @mode_t long mode, @dev_t long rdev) {
        return call("mknod", path, () -> {
            union.mknod(p(path), (int) mode, rdev, caller());
            probes.forget(path);
            return 0;
        });
    }

    @Override
    public int mkdir(String path, @mode_t long mode) {
        return call("mkdir", path, () -> {
            union.mkdir(p(path), (int) mode, caller());
            probes.forget(path);
            return 0;
        });
    }

    @Override
    public int symlink(String target, String linkPath) {
        return call("symlink", linkPath, () -> {
            union.symlink(target, p(linkPath), caller());
            probes.forget(linkPath);
            return 0;
        });
    }

    @Override
    public int link(String from, String to) {
        return call("link", from + " -> " + to, () -> {
            union.link(p(from), p(to));
            probes.forget(to);
            return 0;
        });
    }

    @Override
    public int unlink(String path) {
        return call("unlink", path, () -> {
            union.unlink(p(path));
            probes.forget(path);
            return 0;
        });
    }

    @Override
    public int rmdir(String path) {
        return call("rmdir", path, () -> {
            union.rmdir(p(path));
            probes.forget(path);
            return 0;
        });
    }

    @Override
    public int rename(String from, String to) {
        return call("rename", from + " -> " + to, () -> {
            union.rename(p(from), p(to));
            probes.forget(); // a renamed directory moves a whole subtree of cached paths
            return 0;
        });
    }

    /** Open directories pin their branches: a branch change that would remove one answers EBUSY. */
    @Override
    public int opendir(String path, FuseFileInfo fi) {
        return call("opendir", path, () -> {
            fi.fh.set(union.opendir(p(path)));
            return 0;
        });
    }

    @Override
    public int releasedir(String path, FuseFileInfo fi) {
        return call("releasedir", path, () -> {
            union.releasedir(fi.fh.get());
            return 0;
        });
    }

    @Override
    public int readdir(String path, Pointer buf, FuseFillDir filler, @off_t long offset, FuseFileInfo fi) {
        return call("readdir", path, () -> {
            FileStat entry = new FileStat(jnr.ffi.Runtime.getSystemRuntime()); // reused: libfuse copies it
            fill(filler, buf, ".", null);
            fill(filler, buf, "..", null);
            for (UnionFs.Dirent d : union.list(p(path))) {
                entry.st_mode.set(d.modeType());
                entry.st_ino.set(d.inode());
                if (fill(filler, buf, d.name(), entry) != 0) {
                    break;
                }
            }
            return 0;
        });
    }

    /**
     * Adds one entry; its type and inode number (from the branch's own listing) let find and
     * ls skip a stat per entry. jnr-fuse's String variant forgets the name's terminating NUL.
     */
    private static int fill(FuseFillDir filler, Pointer buf, String name, FileStat stat) {
        byte[] bytes = name.getBytes(Fs.NAMES);
        byte[] terminated = java.util.Arrays.copyOf(bytes, bytes.length + 1);
        return filler.apply(buf, ByteBuffer.wrap(terminated), stat == null ? null : Struct.getMemory(stat), 0);
    }

    // ---- open files ----

    @Override
    public int open(String path, FuseFileInfo fi) {
        return call("open", path, () -> {
            long handle = union.open(p(path), fi.flags.get());
            fi.fh.set(handle);
            if (union.directIo(handle)) {
                FileInfoBits.setDirectIo(fi);
            }
            return 0;
        });
    }

    @Override
    public int create(String path, @mode_t long mode, FuseFileInfo fi) {
        return call("create", path, () -> {
            fi.fh.set(union.create(p(path), (int) mode, fi.flags.get(), caller()));
            probes.forget(path);
            return 0;
        });
    }

    @Override
    public int read(String path, Pointer buf, @size_t long size, @off_t long offset, FuseFileInfo fi) {
        return call("read", path, () -> union.read(fi.fh.get(), buf, size, offset));
    }

    @Override
    public int write(String path, Pointer buf, @size_t long size, @off_t long offset, FuseFileInfo fi) {
        return call("write", path, () -> union.write(fi.fh.get(), buf, size, offset));
    }

    @Override
    public int fsync(String path, int isdatasync, FuseFileInfo fi) {
        return call("fsync", path, () -> {
            union.fsync(fi.fh.get(), isdatasync != 0);
            return 0;
        });
    }

    @Override
    public int release(String path, FuseFileInfo fi) {
        return call("release", path, () -> {
            union.release(fi.fh.get());
            return 0;
        });
    }

    // ---- extended attributes ----

    @Override
    public int getxattr(String path, String name, Pointer value, @size_t long size) {
        return call("getxattr", path, () -> {
            byte[] v = probes.get(path, name);
            return v == null ? -Errno.ENODATA : copyOut(v, value, size);
        });
    }

    @Override
    public int listxattr(String path, Pointer list, @size_t long size) {
        return call("listxattr", path, () -> {
            StringBuilder names = new StringBuilder();
            for (String n : union.listxattr(p(path))) {
                names.append(n).append('\0');
            }
            return copyOut(names.toString().getBytes(Fs.NAMES), list, size);
        });
    }

    /** libfuse's convention: size 0 asks for the length; too small a buffer is ERANGE. */
    private static int copyOut(byte[] data, Pointer buf, long size) {
        if (size == 0) {
            return data.length;
        }
        if (data.length > size) {
            return -Errno.ERANGE;
        }
        buf.put(0, data, 0, data.length);
        return data.length;
    }

    @Override
    public int setxattr(String path, String name, Pointer value, @size_t long size, int flags) {
        return call("setxattr", path, () -> {
            byte[] v = new byte[(int) size];
            value.get(0, v, 0, v.length);
            union.setxattr(p(path), name, v, flags);
            probes.forget(); // every name of the file: a hard link's other names see the change too
            return 0;
        });
    }

    @Override
    public int removexattr(String path, String name) {
        return call("removexattr", path, () -> {
            union.removexattr(p(path), name);
            probes.forget(); // every name of the file, as for setxattr
            return 0;
        });
    }
}
