package dev.layerfs.fsx;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The oracle: a plain directory that starts as the merged view of the read-only branches (see
 * {@link ReadOnlyStack}) and receives the same operations as the union, plus the few places
 * where a union rightly differs from one plain directory, each documented layerfs (and
 * AUFS/overlayfs) behaviour:
 * <ul>
 * <li>renaming a directory with content in a read-only branch copies its whole tree up, which
 *     breaks read-only hard links of the files inside it, as any copy-up does;
 * <li>a copy-up breaks a lower hard link: the copied name becomes a file of its own, the other
 *     names keep the lower file;
 * <li>a name served from a read-only branch shows that branch's link count;
 * <li>a name starting with {@code .wh.} cannot be created: EPERM.
 * </ul>
 * It tracks which directories still have read-only content and which names are still served
 * from a read-only branch, to know when these apply.
 */
final class ExpectedTree {

    private final Path root;
    /** Where each non-directory of the starting tree comes from in the read-only branches. */
    private final Map<String, ReadOnlyStack.Source> sources;
    /** Union directories that still have a read-only level (so renaming them copies their tree up). */
    private final Set<String> lowerDirs = new HashSet<>();
    /** Non-directories still served, untouched, from a read-only branch (no copy-up yet). */
    private final Set<String> lowerResident = new HashSet<>();
    /** Inodes of the expected tree that ever had several names: their attributes may lag in the union's kernel cache. */
    private final Set<Long> everMultiLinked = new HashSet<>();
    private int copyUps;
    private int hardLinksBroken;

    /** A new oracle over {@code root}, which must already hold the merged view of the read-only branches. */
    ExpectedTree(Path root, Map<String, ReadOnlyStack.Source> sources) throws IOException {
        this.root = root;
        this.sources = Map.copyOf(sources);
        try (var s = Files.walk(root)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                String rel = root.relativize(p).toString();
                if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    lowerDirs.add(rel);
                } else {
                    lowerResident.add(rel);
                    if (sources.get(rel).nlink() > 1) {
                        everMultiLinked.add((Long) Files.getAttribute(p, "unix:ino", LinkOption.NOFOLLOW_LINKS));
                    }
                }
            }
        }
    }

    Path root() {
        return root;
    }

    int copyUps() {
        return copyUps;
    }

    int hardLinksBroken() {
        return hardLinksBroken;
    }

    boolean everMultiLinked(long ino) {
        return everMultiLinked.contains(ino);
    }

    /** The link count the union must show for non-directory {@code rel}, whose expected state is {@code s}. */
    int expectedNlink(String rel, EntryState s) {
        return lowerResident.contains(rel) ? sources.get(rel).nlink() : s.nlink();
    }

    /**
     * Applies {@code op} to the expected tree and answers what the union must answer; the paths
     * an operation reached through a symlink are added to {@code alsoTouched}.
     */
    Outcome apply(Op op, Set<String> alsoTouched) throws IOException {
        if (op instanceof Op.Create || op instanceof Op.Mkdir || op instanceof Op.Symlink) {
            return reservedName(op.touched().get(0)) ? Outcome.errno("EPERM") : op.apply(root);
        }
        if (op instanceof Op.Write w) {
            return changeInPlace(op, w.path(), alsoTouched);
        }
        if (op instanceof Op.Truncate t) {
            return changeInPlace(op, t.path(), alsoTouched);
        }
        if (op instanceof Op.Chmod c) {
            return changeInPlace(op, c.path(), alsoTouched);
        }
        if (op instanceof Op.Utimes u) {
            return changeInPlace(op, u.path(), alsoTouched);
        }
        if (op instanceof Op.Chown c) {
            return changeInPlace(op, c.path(), alsoTouched);
        }
        if (op instanceof Op.SetXattr x) {
            return changeInPlace(op, x.path(), alsoTouched);
        }
        if (op instanceof Op.FdWrite w) {
            return fdWrite(w, alsoTouched);
        }
        if (op instanceof Op.Link l) {
            return link(l);
        }
        if (op instanceof Op.Rename r) {
            return rename(r);
        }
        if (op instanceof Op.Unlink u) {
            Optional<String> c = canonical(u.path(), false);
            Outcome o = u.apply(root);
            if (o.ok()) {
                c.ifPresent(lowerResident::remove);
            }
            return o;
        }
        if (op instanceof Op.Rmdir r) {
            Optional<String> c = canonical(r.path(), false);
            Outcome o = r.apply(root);
            if (o.ok()) {
                c.ifPresent(this::forgetLowerDirs);
            }
            return o;
        }
        return op.apply(root); // reads
    }

    /** Creating a {@code .wh.} name in an existing directory: refused by the union. */
    private boolean reservedName(String rel) {
        return name(rel).startsWith(".wh.") && Files.isDirectory(root.resolve(parent(rel)));
    }

    /** Write, truncate, chmod, chown, utimes, setxattr: the file the path leads to is copied up first, so a lower hard link breaks. */
    private Outcome changeInPlace(Op op, String path, Set<String> alsoTouched) throws IOException {
        Optional<String> target = canonical(path, true);
        target.ifPresent(alsoTouched::add);
        return withCopyUp(op, target);
    }

    /** Opening for writing copies the file up; then the name goes or moves, as unlink and rename do it. */
    private Outcome fdWrite(Op.FdWrite w, Set<String> alsoTouched) throws IOException {
        if (w.then() == Op.Then.RENAME && reservedName(w.to())
                && Files.exists(root.resolve(w.path()), LinkOption.NOFOLLOW_LINKS)) {
            // the union refuses the .wh. name (EPERM); the open file is written and read all the same
            Op.FdWrite stay = new Op.FdWrite(w.path(), Op.Then.NOTHING, w.to(), w.offset(), w.length(), w.dataSeed());
            Outcome o = fdWrite(stay, alsoTouched);
            return o.ok() ? new Outcome(o.result(), o.detail().replaceFirst("^ok", "EPERM")) : o;
        }
        Optional<String> target = canonical(w.path(), true);
        target.ifPresent(alsoTouched::add);
        Optional<String> name = canonical(w.path(), false);
        Optional<String> to = w.then() == Op.Then.RENAME ? canonical(w.to(), false) : Optional.empty();
        boolean toIsDir = w.then() == Op.Then.RENAME && Files.isDirectory(root.resolve(w.to()), LinkOption.NOFOLLOW_LINKS);
        Outcome o = withCopyUp(w, target);
        if (o.ok() && o.detail().startsWith("ok") && w.then() != Op.Then.NOTHING && !toIsDir) {
            name.ifPresent(lowerResident::remove);
            to.ifPresent(lowerResident::remove);
        }
        return o;
    }

    private Outcome withCopyUp(Op op, Optional<String> target) throws IOException {
        boolean broke = target.isPresent() && lowerResident.contains(target.get()) && breakLowerLink(target.get());
        Outcome o = op.apply(root);
        if (o.ok()) {
            if (target.isPresent() && lowerResident.remove(target.get())) {
                copyUps++;
            }
        } else if (broke) {
            restoreLowerLink(target.get()); // the union refused before copying up: the link is still whole there
        }
        return o;
    }

    private Outcome link(Op.Link l) throws IOException {
        if (reservedName(l.to()) && Files.exists(root.resolve(l.from()), LinkOption.NOFOLLOW_LINKS)) {
            return Outcome.errno("EPERM");
        }
        Optional<String> from = canonical(l.from(), false);
        Outcome o = withCopyUp(l, from);
        if (o.ok()) {
            everMultiLinked.add((Long) Files.getAttribute(root.resolve(l.to()), "unix:ino", LinkOption.NOFOLLOW_LINKS));
        }
        return o;
    }

    private Outcome rename(Op.Rename r) throws IOException {
        Optional<String> from = canonical(r.from(), false);
        Optional<String> to = canonical(r.to(), false);
        boolean dir = Files.isDirectory(root.resolve(r.from()), LinkOption.NOFOLLOW_LINKS);
        if (from.isPresent() && from.equals(to)) {
            return r.apply(root); // one name onto itself: the kernel answers without asking the file system
        }
        if (reservedName(r.to()) && from.isPresent() && Files.exists(root.resolve(r.from()), LinkOption.NOFOLLOW_LINKS)
                && !(dir && to.isPresent() && to.get().startsWith(from.get() + "/"))) {
            return Outcome.errno("EPERM"); // the kernel's own checks pass, then the union refuses the name
        }
        if (dir && from.isPresent() && lowerDirs.contains(from.get())) {
            Optional<String> refusal = refusalOfLowerDirRename(from.get(), r.to(), to);
            if (refusal.isPresent()) {
                return Outcome.errno(refusal.get());
            }
            return renameLowerDir(r, from.get(), to);
        }
        Outcome o = dir ? r.apply(root) : withCopyUp(r, from);
        if (o.ok() && to.isPresent() && !to.equals(from)) {
            lowerResident.remove(to.get());
            if (dir) {
                forgetLowerDirs(to.get()); // an empty directory replaced: the moved one hides what lay below it
            }
        }
        return o;
    }

    /**
     * A directory with lower content moves as a whole tree copy-up: every lower file inside is
     * copied (its lower hard links break), and nothing under the new name is lower any more.
     */
    private Outcome renameLowerDir(Op.Rename r, String from, Optional<String> to) throws IOException {
        List<String> inside = lowerResident.stream().filter(f -> f.startsWith(from + "/")).sorted().toList();
        Outcome o = r.apply(root);
        if (o.ok() && to.isPresent()) {
            for (String f : inside) { // moved with their directory: each is a copy now, apart from its lower siblings
                breakLowerLink(to.get() + f.substring(from.length()));
            }
            copyUps += inside.size();
            inside.forEach(lowerResident::remove);
            forgetLowerDirs(from);
            forgetLowerDirs(to.get());
        }
        return o;
    }

    /**
     * The answer to renaming a directory with lower content: whatever the kernel refuses before
     * asking the file system. Empty when the union goes ahead (or the rename is a no-op).
     */
    private Optional<String> refusalOfLowerDirRename(String from, String to, Optional<String> toCanonical) throws IOException {
        Optional<String> walk = walkError(parent(to));
        if (walk.isPresent()) {
            return walk;
        }
        String t = toCanonical.orElseThrow();
        if (t.equals(from)) {
            return Optional.empty();
        }
        if (t.startsWith(from + "/")) {
            return Optional.of("EINVAL");
        }
        if (from.startsWith(t + "/") || t.isEmpty()) {
            return Optional.of("ENOTEMPTY");
        }
        Path target = root.resolve(t);
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
            return Optional.of("ENOTDIR");
        }
        return Optional.empty();
    }

    /** The error walking to directory {@code rel} would give, if any. */
    private Optional<String> walkError(String rel) {
        Path p = root;
        for (String c : rel.isEmpty() ? new String[0] : rel.split("/")) {
            p = p.resolve(c);
            try {
                BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
                if (!a.isDirectory()) {
                    return Optional.of("ENOTDIR");
                }
            } catch (NoSuchFileException e) {
                return Optional.of("ENOENT");
            } catch (IOException e) {
                return Optional.of(e instanceof FileSystemException f && String.valueOf(f.getReason()).contains("levels")
                        ? "ELOOP" : "ENOENT");
            }
        }
        return Optional.empty();
    }

    private void forgetLowerDirs(String dir) {
        lowerDirs.removeIf(d -> d.equals(dir) || d.startsWith(dir + "/"));
    }

    /**
     * Gives {@code rel} an inode of its own (same content, mode and times), as the union's copy-up
     * does to one name of a lower hard link. True if there was a link to break.
     */
    private boolean breakLowerLink(String rel) throws IOException {
        Path p = root.resolve(rel);
        if ((Integer) Files.getAttribute(p, "unix:nlink", LinkOption.NOFOLLOW_LINKS) < 2) {
            return false;
        }
        Path tmp = p.resolveSibling(".fsx-break"); // beside it: only its directory is touched, and put back
        FileTimes parentTimes = FileTimes.of(p.getParent());
        Files.copy(p, tmp, StandardCopyOption.COPY_ATTRIBUTES, LinkOption.NOFOLLOW_LINKS);
        Files.move(tmp, p, StandardCopyOption.ATOMIC_MOVE);
        parentTimes.restore(p.getParent());
        everMultiLinked.add((Long) Files.getAttribute(p, "unix:ino", LinkOption.NOFOLLOW_LINKS));
        hardLinksBroken++;
        return true;
    }

    /** Undoes {@link #breakLowerLink}: {@code rel} becomes again a name of its lower siblings' inode. */
    private void restoreLowerLink(String rel) throws IOException {
        ReadOnlyStack.Source source = sources.get(rel);
        for (String other : lowerResident) {
            ReadOnlyStack.Source o = sources.get(other);
            if (!other.equals(rel) && o.branch() == source.branch() && o.ino() == source.ino()
                    && Files.exists(root.resolve(other), LinkOption.NOFOLLOW_LINKS)) {
                Path p = root.resolve(rel);
                Path tmp = p.resolveSibling(".fsx-break"); // beside it: only its directory is touched, and put back
                FileTimes parentTimes = FileTimes.of(p.getParent());
                Files.createLink(tmp, root.resolve(other));
                Files.move(tmp, p, StandardCopyOption.ATOMIC_MOVE);
                parentTimes.restore(p.getParent());
                hardLinksBroken--;
                return;
            }
        }
    }

    /**
     * The path {@code rel} leads to, relative to the root, with every directory symlink resolved
     * (and the last component too when {@code followLast}); empty if it leads nowhere.
     */
    Optional<String> canonical(String rel, boolean followLast) {
        try {
            Path real;
            if (followLast) {
                real = root.resolve(rel).toRealPath();
            } else {
                Path parent = root.resolve(parent(rel)).toRealPath();
                real = rel.isEmpty() ? parent : parent.resolve(name(rel));
            }
            Path r = root.toRealPath();
            return real.startsWith(r) ? Optional.of(r.relativize(real).toString()) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    static String parent(String rel) {
        int i = rel.lastIndexOf('/');
        return i < 0 ? "" : rel.substring(0, i);
    }

    static String name(String rel) {
        return rel.substring(rel.lastIndexOf('/') + 1);
    }

    /** A directory's access and modification times, to put back after the oracle's own bookkeeping. */
    private record FileTimes(java.nio.file.attribute.FileTime atime, java.nio.file.attribute.FileTime mtime) {
        static FileTimes of(Path dir) throws IOException {
            BasicFileAttributes a = Files.readAttributes(dir, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            return new FileTimes(a.lastAccessTime(), a.lastModifiedTime());
        }

        void restore(Path dir) throws IOException {
            Files.getFileAttributeView(dir, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS).setTimes(mtime, atime, null);
        }
    }
}
