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

    public void release(long handle) {
        OpenFile f = files.remove(handle);
        if (f != null) {
            Fs.close(f.fd());
        }
    }

    public int size() {
        return files.size();
    }
}
