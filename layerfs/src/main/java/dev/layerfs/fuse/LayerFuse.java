package dev.layerfs.fuse;

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

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/**
 * The jnr-fuse switchboard: each callback translates its arguments, calls {@link UnionFs} and
 * turns the outcome into libfuse's convention (0, a byte count, or a negative errno via
 * {@link Errors}). No union logic lives here. Callbacks not overridden (flush, access, lock)
 * answer ENOSYS, which tells the kernel to stop asking: one round trip saved per close.
 */
public final class LayerFuse extends FuseStubFS {

    private final UnionFs union;
    private final XattrProbes probes;

    public LayerFuse(UnionFs union) {
        this.union = union;
        this.probes = new XattrProbes(union);
    }

    /** Mounts and serves until unmounted (blocking), with libfuse's multithreaded loop. */
    public void serve(Path mountPoint, boolean debug, String[] fuseArgs) {
        try {
            mount(mountPoint, true, debug, fuseArgs);
        } finally {
            mounted.set(false); // unmounted already: keep jnr-fuse's shutdown hook from unmounting again
        }
    }

    private Caller caller() {
        FuseContext ctx = getContext();
        return new Caller((int) ctx.uid.get(), (int) ctx.gid.get());
    }

    @Override
    public int getattr(String path, FileStat stat) {
        try {
            StatFiller.fill(union.getattr(UnionPath.of(path)), stat);
            return 0;
        } catch (Exception e) {
            return Errors.errno("getattr", path, e);
        }
    }

    @Override
    public int fgetattr(String path, FileStat stat, FuseFileInfo fi) {
        try {
            StatFiller.fill(union.fgetattr(fi.fh.get()), stat);
            return 0;
        } catch (Exception e) {
            return Errors.errno("fgetattr", path, e);
        }
    }

    @Override
    public int readlink(String path, Pointer buf, @size_t long size) {
        try {
            byte[] target = union.readlink(UnionPath.of(path));
            int n = (int) Math.min(target.length, size - 1);
            buf.put(0, target, 0, n);
            buf.putByte(n, (byte) 0);
            return 0;
        } catch (Exception e) {
            return Errors.errno("readlink", path, e);
        }
    }

    @Override
    public int mknod(String path, @mode_t long mode, @dev_t long rdev) {
        try {
            union.mknod(UnionPath.of(path), (int) mode, rdev, caller());
            probes.forget(path);
            return 0;
        } catch (Exception e) {
            return Errors.errno("mknod", path, e);
        }
    }

    @Override
    public int mkdir(String path, @mode_t long mode) {
        try {
            union.mkdir(UnionPath.of(path), (int) mode, caller());
            probes.forget(path);
            return 0;
        } catch (Exception e) {
            return Errors.errno("mkdir", path, e);
        }
    }

    @Override
    public int unlink(String path) {
        try {
            union.unlink(UnionPath.of(path));
            probes.forget(path);
            return 0;
        } catch (Exception e) {
            return Errors.errno("unlink", path, e);
        }
    }

    @Override
    public int rmdir(String path) {
        try {
            union.rmdir(UnionPath.of(path));
            probes.forget(path);
            return 0;
        } catch (Exception e) {
            return Errors.errno("rmdir", path, e);
        }
    }

    @Override
    public int symlink(String target, String linkPath) {
        try {
            union.symlink(target, UnionPath.of(linkPath), caller());
            probes.forget(linkPath);
            return 0;
        } catch (Exception e) {
            return Errors.errno("symlink", linkPath, e);
        }
    }

    @Override
    public int rename(String from, String to) {
        try {
            union.rename(UnionPath.of(from), UnionPath.of(to));
            probes.forget();
            return 0;
        } catch (Exception e) {
            return Errors.errno("rename", from + " -> " + to, e);
        }
    }

    @Override
    public int link(String from, String to) {
        try {
            union.link(UnionPath.of(from), UnionPath.of(to));
            probes.forget(to);
            return 0;
        } catch (Exception e) {
            return Errors.errno("link", from + " -> " + to, e);
        }
    }

    @Override
    public int chmod(String path, @mode_t long mode) {
        try {
            union.chmod(UnionPath.of(path), (int) mode);
            return 0;
        } catch (Exception e) {
            return Errors.errno("chmod", path, e);
        }
    }

    @Override
    public int chown(String path, @uid_t long uid, @gid_t long gid) {
        try {
            union.chown(UnionPath.of(path), (int) uid, (int) gid);
            return 0;
        } catch (Exception e) {
            return Errors.errno("chown", path, e);
        }
    }

    @Override
    public int truncate(String path, @off_t long size) {
        try {
            union.truncate(UnionPath.of(path), size);
            return 0;
        } catch (Exception e) {
            return Errors.errno("truncate", path, e);
        }
    }

    @Override
    public int ftruncate(String path, @off_t long size, FuseFileInfo fi) {
        try {
            union.ftruncate(fi.fh.get(), size);
            return 0;
        } catch (Exception e) {
            return Errors.errno("ftruncate", path, e);
        }
    }

    @Override
    public int utimens(String path, Timespec[] timespec) {
        try {
            long[] times = {timespec[0].tv_sec.get(), timespec[0].tv_nsec.longValue(),
                    timespec[1].tv_sec.get(), timespec[1].tv_nsec.longValue()};
            union.utimens(UnionPath.of(path), times);
            return 0;
        } catch (Exception e) {
            return Errors.errno("utimens", path, e);
        }
    }

    @Override
    public int open(String path, FuseFileInfo fi) {
        try {
            long handle = union.open(UnionPath.of(path), fi.flags.get());
            fi.fh.set(handle);
            if (union.directIo(handle)) {
                FileInfoBits.setDirectIo(fi);
            }
            return 0;
        } catch (Exception e) {
            return Errors.errno("open", path, e);
        }
    }

    @Override
    public int create(String path, @mode_t long mode, FuseFileInfo fi) {
        try {
            fi.fh.set(union.create(UnionPath.of(path), (int) mode, fi.flags.get(), caller()));
            probes.forget(path);
            return 0;
        } catch (Exception e) {
            return Errors.errno("create", path, e);
        }
    }

    @Override
    public int read(String path, Pointer buf, @size_t long size, @off_t long offset, FuseFileInfo fi) {
        try {
            return union.read(fi.fh.get(), buf, size, offset);
        } catch (Exception e) {
            return Errors.errno("read", path, e);
        }
    }

    @Override
    public int write(String path, Pointer buf, @size_t long size, @off_t long offset, FuseFileInfo fi) {
        try {
            return union.write(fi.fh.get(), buf, size, offset);
        } catch (Exception e) {
            return Errors.errno("write", path, e);
        }
    }

    @Override
    public int fsync(String path, int isdatasync, FuseFileInfo fi) {
        try {
            union.fsync(fi.fh.get(), isdatasync != 0);
            return 0;
        } catch (Exception e) {
            return Errors.errno("fsync", path, e);
        }
    }

    @Override
    public int release(String path, FuseFileInfo fi) {
        union.release(fi.fh.get());
        return 0;
    }

    @Override
    public int statfs(String path, Statvfs stbuf) {
        try {
            union.statfs(Struct.getMemory(stbuf));
            return 0;
        } catch (Exception e) {
            return Errors.errno("statfs", path, e);
        }
    }

    @Override
    public int opendir(String path, FuseFileInfo fi) {
        return 0;
    }

    @Override
    public int readdir(String path, Pointer buf, FuseFillDir filler, @off_t long offset, FuseFileInfo fi) {
        try {
            List<String> names = union.list(UnionPath.of(path));
            filler.apply(buf, ".", null, 0);
            filler.apply(buf, "..", null, 0);
            for (String name : names) {
                if (filler.apply(buf, name, null, 0) != 0) {
                    break;
                }
            }
            return 0;
        } catch (Exception e) {
            return Errors.errno("readdir", path, e);
        }
    }

    @Override
    public int releasedir(String path, FuseFileInfo fi) {
        return 0;
    }

    @Override
    public int getxattr(String path, String name, Pointer value, @size_t long size) {
        try {
            byte[] v = probes.get(path, name);
            if (v == null) {
                return -dev.layerfs.sys.Errno.ENODATA;
            }
            if (size == 0) {
                return v.length;
            }
            if (v.length > size) {
                return -dev.layerfs.sys.Errno.ERANGE;
            }
            value.put(0, v, 0, v.length);
            return v.length;
        } catch (Exception e) {
            return Errors.errno("getxattr", path, e);
        }
    }

    @Override
    public int listxattr(String path, Pointer list, @size_t long size) {
        try {
            StringBuilder sb = new StringBuilder();
            for (String n : union.listxattr(UnionPath.of(path))) {
                sb.append(n).append('\0');
            }
            byte[] b = sb.toString().getBytes(StandardCharsets.UTF_8);
            if (size == 0) {
                return b.length;
            }
            if (b.length > size) {
                return -dev.layerfs.sys.Errno.ERANGE;
            }
            list.put(0, b, 0, b.length);
            return b.length;
        } catch (Exception e) {
            return Errors.errno("listxattr", path, e);
        }
    }

    @Override
    public int setxattr(String path, String name, Pointer value, @size_t long size, int flags) {
        try {
            byte[] v = new byte[(int) size];
            value.get(0, v, 0, v.length);
            union.setxattr(UnionPath.of(path), name, v, flags);
            probes.forget(path);
            return 0;
        } catch (Exception e) {
            return Errors.errno("setxattr", path, e);
        }
    }

    @Override
    public int removexattr(String path, String name) {
        try {
            union.removexattr(UnionPath.of(path), name);
            probes.forget(path);
            return 0;
        } catch (Exception e) {
            return Errors.errno("removexattr", path, e);
        }
    }
}
