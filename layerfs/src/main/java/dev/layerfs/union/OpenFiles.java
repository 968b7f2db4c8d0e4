package dev.layerfs.union;

import dev.layerfs.sys.Errno;
import dev.layerfs.sys.ErrnoException;
import dev.layerfs.sys.Fs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The table of open files, keyed by the handle FUSE hands back on every read and write. Each
 * file remembers its branch by id, so it stays right when branches are added, deleted or moved
 * on the mounted union: {@link #get} answers with the branch's index at the time of the call.
 */
public final class OpenFiles {

    /** An open file as added, with the id of the branch it was opened from. */
    private record Held(OpenFile file, int branchId) {
    }

    private final OpenBranches branches;
    private final ConcurrentHashMap<Long, Held> files = new ConcurrentHashMap<>();
    private final AtomicLong nextHandle = new AtomicLong(1);

    public OpenFiles(OpenBranches branches) {
        this.branches = branches;
    }

    /** Adds {@code file}, whose {@code branch} is an index into the current stack. */
    public long add(OpenFile file) {
        long handle = nextHandle.getAndIncrement();
        files.put(handle, new Held(file, branches.id(file.branch())));
        return handle;
    }

    /** The open file, its {@code branch} the branch's current index, or -1 if it was deleted since (forced). */
    public OpenFile get(long handle) throws ErrnoException {
        Held h = files.get(handle);
        if (h == null) {
            throw new ErrnoException(Errno.EBADF, "no open file with handle " + handle);
        }
        int now = branches.indexOf(h.branchId()).orElse(-1);
        OpenFile f = h.file();
        return now == f.branch() ? f : new OpenFile(f.fd(), now, f.path(), f.directIo());
    }

    /** The id of the branch the file at {@code handle} was opened from. */
    public int branchId(long handle) throws ErrnoException {
        Held h = files.get(handle);
        if (h == null) {
            throw new ErrnoException(Errno.EBADF, "no open file with handle " + handle);
        }
        return h.branchId();
    }

    /** Closes and forgets {@code handle}; returns what it was, if anything. */
    public OpenFile release(long handle) {
        Held h = files.remove(handle);
        if (h != null) {
            Fs.close(h.file().fd());
        }
        return h == null ? null : h.file();
    }

    /** Whether some open file was opened at {@code path}. */
    public boolean anyOpenAt(UnionPath path) {
        return files.values().stream().anyMatch(h -> h.file().path().equals(path));
    }

    /** How many files are open in the branch with id {@code branchId}; only those open for writing if asked. */
    public long openIn(int branchId, boolean writingOnly) {
        return files.values().stream()
                .filter(h -> h.branchId() == branchId && (!writingOnly || openForWriting(h.file().fd())))
                .count();
    }

    /** Reads the access mode of descriptor {@code fd} from /proc (branch changes only: rare). */
    private static boolean openForWriting(int fd) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/fdinfo", Integer.toString(fd)))) {
                if (line.startsWith("flags:")) {
                    int flags = Integer.parseInt(line.substring(6).strip(), 8);
                    return (flags & Fs.O_ACCMODE) != Fs.O_RDONLY;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return true; // cannot tell: count it, the safe side for a busy check
        }
        return true;
    }
}
