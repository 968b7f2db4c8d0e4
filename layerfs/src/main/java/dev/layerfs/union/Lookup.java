package dev.layerfs.union;

import dev.layerfs.sys.Errno;
import dev.layerfs.sys.ErrnoException;
import dev.layerfs.sys.Fs;
import dev.layerfs.sys.Stat;

import java.util.Optional;

/**
 * Union name resolution. A directory is walked one component at a time in every branch that
 * still contributes, with O_NOFOLLOW descriptors, so a symlink inside a branch is never followed
 * and a lower branch's non-directory, whiteout or an opaque directory above it cuts it off.
 * Whiteouts are honoured in every branch except the bottom one (nothing lies below it), so
 * unpacked OCI layers stacked as ro branches behave like the image they came from.
 */
public final class Lookup {

    private final OpenBranches branches;
    private final ResolvedDirs resolved = new ResolvedDirs();

    public Lookup(OpenBranches branches) {
        this.branches = branches;
    }

    public OpenBranches branches() {
        return branches;
    }

    /** The view of directory {@code dir}; ENOENT if it does not exist, ENOTDIR if it is not a directory. */
    public DirView openDir(UnionPath dir) throws ErrnoException {
        if (dir.isRoot()) {
            return rootView();
        }
        DirView cached = resolved.get(dir);
        if (cached != null) {
            return cached;
        }
        long seen = resolved.generation();
        // walk on from the longest prefix still resolved, caching each directory on the way
        UnionPath prefix = dir.parent();
        DirView current = null;
        while (!prefix.isRoot() && (current = resolved.get(prefix)) == null) {
            prefix = prefix.parent();
        }
        if (current == null) {
            current = rootView();
        }
        java.util.List<String> components = dir.components();
        try {
            for (int i = prefix.components().size(); i < components.size(); i++) {
                DirView next = step(current, dir, components.get(i));
                current.close();
                current = next;
                if (i + 1 < components.size()) {
                    current = resolved.offer(new UnionPath(components.subList(0, i + 1)), seen, next);
                } else {
                    current = resolved.offer(dir, seen, next);
                }
            }
            return current;
        } catch (ErrnoException | RuntimeException e) {
            current.close();
            throw e;
        }
    }

    /** The remembered view of directory {@code dir} (the caller closes it), or null: resolves nothing. */
    DirView resolvedOrNull(UnionPath dir) {
        return resolved.get(dir);
    }

    /** Whether resolved directories are remembered between operations (see {@link ResolvedDirs}); off at first. */
    public void cacheDirectories(boolean on) {
        resolved.enabled(on);
    }

    /** Forgets every resolved directory: the branches changed. */
    public void directoriesChanged() {
        resolved.invalidate();
    }

    /** Forgets the resolved directories at and below {@code dir}: call once it was made, removed, renamed or copied up. */
    public void directoryChanged(UnionPath dir) {
        resolved.invalidate(dir);
    }

    private DirView rootView() {
        int n = branches.size();
        int[] bs = new int[n];
        int[] fds = new int[n];
        for (int i = 0; i < n; i++) {
            bs[i] = i;
            fds[i] = branches.root(i);
        }
        return new DirView(bs, fds, n, false, n - 1);
    }

    /** The levels of directory {@code name} inside {@code parent} (a view owning its descriptors). */
    private DirView step(DirView parent, UnionPath dir, String name) throws ErrnoException {
        if (Names.isReserved(name)) {
            throw new ErrnoException(Errno.ENOENT, "no such directory: " + dir);
        }
        int n = branches.size();
        int count = parent.levels();
        int reach = parent.reach();
        int[] nbs = new int[count];
        int[] nfds = new int[count];
        int ncount = 0;
        boolean notDir = false;
        try {
            for (int level = 0; level < count; level++) {
                int b = parent.branch(level);
                boolean last = b == n - 1;
                int fd = Fs.openDirectory(parent.fd(level), name);
                if (fd >= 0) {
                    nbs[ncount] = b;
                    nfds[ncount++] = fd;
                    // An opaque marker inside, or a whiteout beside it in the same branch (an OCI
                    // layer that deleted and recreated the directory), hides the levels below.
                    if (!last && (Fs.exists(fd, Names.OPAQUE) || Fs.exists(parent.fd(level), Names.whiteout(name)))) {
                        reach = Math.min(reach, b);
                        break;
                    }
                    continue;
                }
                if (fd == Fs.NOT_A_DIRECTORY) {
                    notDir = ncount == 0; // a non-directory above hides the rest; below a directory it is hidden
                    reach = Math.min(reach, b - 1);
                    break;
                }
                if (!last && Fs.exists(parent.fd(level), Names.whiteout(name))) {
                    reach = Math.min(reach, b);
                    break;
                }
            }
        } catch (ErrnoException e) {
            closeAll(nfds, ncount);
            throw e;
        }
        if (ncount == 0) {
            throw new ErrnoException(notDir ? Errno.ENOTDIR : Errno.ENOENT,
                    (notDir ? "not a directory: " : "no such directory: ") + dir);
        }
        return new DirView(nbs, nfds, ncount, true, reach);
    }

    private static void closeAll(int[] fds, int count) {
        for (int i = 0; i < count; i++) {
            Fs.close(fds[i]);
        }
    }

    /** The top-most visible entry named {@code name} in {@code dir}. */
    public Optional<Entry> find(DirView dir, String name) throws ErrnoException {
        return find(dir, name, 0);
    }

    /** As {@link #find(DirView, String)}, looking only at levels from {@code fromLevel} down. */
    public Optional<Entry> find(DirView dir, String name, int fromLevel) throws ErrnoException {
        if (Names.isReserved(name)) {
            return Optional.empty();
        }
        int bottom = branches.size() - 1;
        for (int level = fromLevel; level < dir.levels(); level++) {
            Stat st = Fs.statOrNull(dir.fd(level), name);
            if (st != null) {
                return Optional.of(new Entry(level, dir.branch(level), st));
            }
            if (dir.branch(level) != bottom && Fs.exists(dir.fd(level), Names.whiteout(name))) {
                return Optional.empty();
            }
        }
        return Optional.empty();
    }

    /**
     * The directory a directory rename would replace at {@code to}, if any: ENOTDIR when the name
     * is not a directory, ENOTEMPTY when its merged view has entries (rename(2)'s rules).
     */
    public Optional<Entry> replaceableDirectory(DirView toParent, UnionPath to) throws ErrnoException {
        Optional<Entry> target = find(toParent, to.name());
        if (target.isPresent()) {
            if (!target.get().stat().isDirectory()) {
                throw new ErrnoException(Errno.ENOTDIR, "not a directory: " + to);
            }
            try (DirView t = openDir(to)) {
                if (!MergedListing.isEmpty(t)) {
                    throw new ErrnoException(Errno.ENOTEMPTY, "directory not empty: " + to);
                }
            }
        }
        return target;
    }

    /** The entry at {@code path}, or ENOENT. */
    public Entry entry(DirView parent, UnionPath path) throws ErrnoException {
        return find(parent, path.name())
                .orElseThrow(() -> new ErrnoException(Errno.ENOENT, "no such file: " + path));
    }

    /**
     * Every entry named {@code name} in {@code dir} that is not hidden by a whiteout, top first:
     * the visible one, then those it covers. Removing the name means removing or hiding all.
     */
    public java.util.List<Entry> holders(DirView dir, String name) throws ErrnoException {
        java.util.List<Entry> out = new java.util.ArrayList<>();
        if (Names.isReserved(name)) {
            return out;
        }
        int bottom = branches.size() - 1;
        for (int level = 0; level < dir.levels(); level++) {
            Stat st = Fs.statOrNull(dir.fd(level), name);
            if (st != null) {
                out.add(new Entry(level, dir.branch(level), st));
            }
            if (dir.branch(level) != bottom && Fs.exists(dir.fd(level), Names.whiteout(name))) {
                break;
            }
        }
        return out;
    }

    /**
     * The lowest branch where a new entry {@code name} in {@code dir} would show: not below the
     * directory's {@link DirView#reach()}, nor below a whiteout of the name (a new entry above
     * the whiteout shows; one in the whiteout's own branch replaces it).
     */
    public int newNameBound(DirView dir, String name) throws ErrnoException {
        int bottom = branches.size() - 1;
        for (int level = 0; level < dir.levels(); level++) {
            int b = dir.branch(level);
            if (b != bottom && Fs.exists(dir.fd(level), Names.whiteout(name))) {
                return Math.min(b, dir.reach());
            }
        }
        return dir.reach();
    }
}
