package dev.layerfs.union;

import dev.layerfs.sys.Errno;
import dev.layerfs.sys.ErrnoException;
import dev.layerfs.sys.Fs;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/** The table of open files, keyed by the handle FUSE hands back on every read and write. */
public final class OpenFiles {

    private final ConcurrentHashMap<Long, OpenFile> files = new ConcurrentHashMap<>();
    private final AtomicLong nextHandle = new AtomicLong(1);

    public long add(OpenFile file) {
        long handle = nextHandle.getAndIncrement();
        files.put(handle, file);
        return handle;
    }

    public OpenFile get(long handle) throws ErrnoException {
        OpenFile f = files.get(handle);
        if (f == null) {
            throw new ErrnoException(Errno.EBADF, "no open file with handle " + handle);
        }
        return f;
    }

    /** Closes and forgets {@code handle}; returns what it was, if anything. */
    public OpenFile release(long handle) {
        OpenFile f = files.remove(handle);
        if (f != null) {
            Fs.close(f.fd());
        }
        return f;
    }

    /** Whether some open file was opened at {@code path}. */
    public boolean anyOpenAt(UnionPath path) {
        return files.values().stream().anyMatch(f -> f.path().equals(path));
    }
}
