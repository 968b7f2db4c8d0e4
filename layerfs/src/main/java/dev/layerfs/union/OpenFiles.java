package dev.layerfs.union;

import dev.layerfs.sys.Errno;
import dev.layerfs.sys.ErrnoException;
import dev.layerfs.sys.Fs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The table of open files, keyed by the handle FUSE hands back on every read and write. Each
 * file remembers its branch by id, so it stays right when branches are added, deleted or moved
 * on the mounted union: {@link #get} answers with the branch's index at the time of the call.
 */
public final class OpenFiles {

    /**
     * An open file as added, with the id of the branch it was opened from, the {@link
     * CopyUp#completed} count its reader last checked against, and descriptors it read through
     * before it was reopened on a copy (closed with it, as a read may still be using them).
     */
    private record Held(OpenFile file, int branchId, long copyUpsSeen, List<Integer> retired) {
    }

    private final OpenBranches branches;
    private final ConcurrentHashMap<Long, Held> files = new ConcurrentHashMap<>();
    private final AtomicLong nextHandle = new AtomicLong(1);

    public OpenFiles(OpenBranches branches) {
        this.branches = branches;
    }

    /** Adds {@code file}, whose {@code branch} is an index into the current stack. */
    public long add(OpenFile file) {
        return add(file, Long.MIN_VALUE);
    }

    /** Adds {@code file} found with {@code copyUpsSeen} copy-ups completed before looking it up. */
    public long add(OpenFile file, long copyUpsSeen) {
        long handle = nextHandle.getAndIncrement();
        files.put(handle, new Held(file, branches.id(file.branch()), copyUpsSeen, List.of()));
        return handle;
    }

    /** The {@link CopyUp#completed} count the file at {@code handle} was last checked against. */
    public long copyUpsSeen(long handle) throws ErrnoException {
        return held(handle).copyUpsSeen();
    }

    /** Notes that the file at {@code handle} is still the one its path shows after {@code copyUps} copy-ups. */
    public void checked(long handle, long copyUps) {
        files.computeIfPresent(handle, (k, h) -> h.copyUpsSeen() >= copyUps ? h
                : new Held(h.file(), h.branchId(), copyUps, h.retired()));
    }

    /**
     * Makes the file at {@code handle} read through {@code copy} (its copy in a writable branch,
     * found after {@code copyUps} copy-ups) from now on, unless a racing read did so already
     * ({@code copy} is then closed). The old descriptor is closed on release. Returns the file now.
     */
    public OpenFile reopened(long handle, OpenFile copy, long copyUps) throws ErrnoException {
        Held now = files.computeIfPresent(handle, (k, h) -> h.branchId() == branches.id(copy.branch()) ? h
                : new Held(copy, branches.id(copy.branch()), copyUps, append(h.retired(), h.file().fd())));
        if (now == null || now.file() != copy) {
            Fs.close(copy.fd());
        }
        return get(handle);
    }

    private static List<Integer> append(List<Integer> list, int fd) {
        List<Integer> out = new ArrayList<>(list);
        out.add(fd);
        return List.copyOf(out);
    }

    private Held held(long handle) throws ErrnoException {
        Held h = files.get(handle);
        if (h == null) {
            throw new ErrnoException(Errno.EBADF, "no open file with handle " + handle);
        }
        return h;
    }

    /** The open file, its {@code branch} the branch's current index, or -1 if it was deleted since (forced). */
    public OpenFile get(long handle) throws ErrnoException {
        Held h = held(handle);
        int now = branches.indexOf(h.branchId()).orElse(-1);
        OpenFile f = h.file();
        return now == f.branch() ? f : new OpenFile(f.fd(), now, f.path(), f.directIo());
    }

    /** The id of the branch the file at {@code handle} was opened from. */
    public int branchId(long handle) throws ErrnoException {
        return held(handle).branchId();
    }

    /** Closes and forgets {@code handle}; returns what it was, if anything. */
    public OpenFile release(long handle) {
        Held h = files.remove(handle);
        if (h != null) {
            Fs.close(h.file().fd());
            h.retired().forEach(Fs::close);
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
