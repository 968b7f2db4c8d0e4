package dev.layerfs.union;

import dev.layerfs.sys.Errno;
import dev.layerfs.sys.ErrnoException;
import dev.layerfs.sys.Fs;
import dev.layerfs.sys.Stat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The work directory at a writable branch's root, where copy-ups and opaque directories bound
 * for that branch are assembled before they are renamed into place (see {@link WorkDirs}). Anything left there was interrupted by a crash
 * and never became visible, so it is removed at mount.
 */
public final class WorkDir {

    private static final Logger LOG = LoggerFactory.getLogger(WorkDir.class);

    private WorkDir() {
    }

    /** Creates or empties the work directory and returns a descriptor on it. */
    public static int prepare(int branchRoot) throws ErrnoException {
        try {
            Fs.mkdir(branchRoot, Names.WORK_DIR, 0700);
        } catch (ErrnoException e) {
            if (e.errno() != Errno.EEXIST) {
                throw e;
            }
        }
        int fd = Fs.open(branchRoot, Names.WORK_DIR, Fs.O_PATH | Fs.O_DIRECTORY | Fs.O_NOFOLLOW, 0);
        for (Fs.DirEntry e : Fs.list(fd, ".")) {
            LOG.info("removing interrupted copy-up {}/{}", Names.WORK_DIR, e.name());
            removeTree(fd, e.name());
        }
        return fd;
    }

    static void removeTree(int parent, String name) throws ErrnoException {
        Stat st = Fs.statOrNull(parent, name);
        if (st == null) {
            return;
        }
        if (st.isDirectory()) {
            int dir = Fs.open(parent, name, Fs.O_PATH | Fs.O_DIRECTORY | Fs.O_NOFOLLOW, 0);
            try {
                for (Fs.DirEntry e : Fs.list(dir, ".")) {
                    removeTree(dir, e.name());
                }
            } finally {
                Fs.close(dir);
            }
            Fs.rmdir(parent, name);
        } else {
            Fs.unlink(parent, name);
        }
    }
}
