package dev.layerfs.union;

import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Directories open through the mount (opendir to releasedir), by the path they were opened at:
 * a branch that contributes to one of them is busy. A directory renamed while open is checked at
 * its old path (libfuse tells the file system nothing of it), i.e. not at all once that is gone.
 */
final class OpenDirs {

    private final ConcurrentHashMap<Long, UnionPath> dirs = new ConcurrentHashMap<>();
    private final AtomicLong nextHandle = new AtomicLong(1);

    long add(UnionPath path) {
        long handle = nextHandle.getAndIncrement();
        dirs.put(handle, path);
        return handle;
    }

    void release(long handle) {
        dirs.remove(handle);
    }

    List<UnionPath> paths() {
        return List.copyOf(dirs.values());
    }
}
