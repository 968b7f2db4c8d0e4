package dev.layerfs.wire;

import dev.layerfs.sys.Errno;
import dev.layerfs.sys.ErrnoException;
import dev.layerfs.union.UnionFs;
import dev.layerfs.union.UnionPath;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Open directories: each handle takes one merged listing of the union directory when it is read
 * from the start, and serves every following READDIR from it, so a listing read in several
 * requests is one consistent snapshot (entry i has offset i + 1; "." and ".." come first).
 */
final class OpenDirs {

    /** The inode number libfuse reports when it has none (for "." and ".."). */
    static final long UNKNOWN_INO = 0xffffffffL;

    private static final class Dir {
        volatile List<UnionFs.Dirent> entries;
    }

    private final UnionFs union;
    private final ConcurrentHashMap<Long, Dir> dirs = new ConcurrentHashMap<>();

    OpenDirs(UnionFs union) {
        this.union = union;
    }

    /** Directory {@code handle} (the union's, which keeps its branches busy while open) is open. */
    void open(long handle) {
        dirs.put(handle, new Dir());
    }

    /**
     * The listing of {@code handle}, taken afresh from {@code path} (where the directory is now:
     * it may have been renamed since it was opened) when read from offset 0.
     */
    List<UnionFs.Dirent> entries(long handle, long offset, UnionPath path) throws ErrnoException {
        Dir d = dir(handle);
        List<UnionFs.Dirent> e = d.entries;
        if (e == null || offset == 0) {
            List<UnionFs.Dirent> listed = union.list(path);
            e = new ArrayList<>(listed.size() + 2);
            e.add(new UnionFs.Dirent(".", dev.layerfs.sys.Stat.S_IFDIR, UNKNOWN_INO));
            e.add(new UnionFs.Dirent("..", dev.layerfs.sys.Stat.S_IFDIR, UNKNOWN_INO));
            e.addAll(listed);
            d.entries = e;
        }
        return e;
    }

    void release(long handle) {
        dirs.remove(handle);
    }

    private Dir dir(long handle) throws ErrnoException {
        Dir d = dirs.get(handle);
        if (d == null) {
            throw new ErrnoException(Errno.EBADF, "no open directory with handle " + handle);
        }
        return d;
    }
}
