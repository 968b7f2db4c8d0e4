package dev.layerfs.union;

import dev.layerfs.sys.Errno;
import dev.layerfs.sys.ErrnoException;
import dev.layerfs.sys.Fs;

/** Whiteout and opaque markers in the writable branch: empty files with the AUFS names. */
public final class Whiteouts {

    private Whiteouts() {
    }

    /** Hides {@code name} of lower branches: creates {@code .wh.name} in {@code upperDir}. */
    public static void create(int upperDir, String name) throws ErrnoException {
        Fs.close(Fs.open(upperDir, Names.whiteout(name), Fs.O_WRONLY | Fs.O_CREAT | Fs.O_NOFOLLOW, 0));
    }

    /** Removes {@code .wh.name} if present; true if it was there. */
    public static boolean remove(int upperDir, String name) throws ErrnoException {
        try {
            Fs.unlink(upperDir, Names.whiteout(name));
            return true;
        } catch (ErrnoException e) {
            if (e.errno() == Errno.ENOENT) {
                return false;
            }
            throw e;
        }
    }

    public static boolean exists(int upperDir, String name) throws ErrnoException {
        return Fs.exists(upperDir, Names.whiteout(name));
    }

    /** Marks directory {@code name} under {@code parent} opaque: nothing below it shows through. */
    public static void makeOpaque(int parent, String name) throws ErrnoException {
        int dir = Fs.open(parent, name, Fs.O_PATH | Fs.O_DIRECTORY | Fs.O_NOFOLLOW, 0);
        try {
            Fs.close(Fs.open(dir, Names.OPAQUE, Fs.O_WRONLY | Fs.O_CREAT | Fs.O_NOFOLLOW, 0));
        } finally {
            Fs.close(dir);
        }
    }

    /**
     * Removes the bookkeeping ({@code .wh.} entries) from directory {@code name}, which the
     * caller has found empty in the merged view, so the directory itself can be removed or replaced.
     */
    public static void clearMarkers(int parent, String name) throws ErrnoException {
        int dir = Fs.open(parent, name, Fs.O_PATH | Fs.O_DIRECTORY | Fs.O_NOFOLLOW, 0);
        try {
            for (Fs.DirEntry e : Fs.list(dir, ".")) {
                if (Names.isReserved(e.name())) {
                    Fs.unlink(dir, e.name());
                }
            }
        } finally {
            Fs.close(dir);
        }
    }
}
