package dev.layerfs.fsx;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The read-only branches under the writable one, top first, and what they show merged: the
 * starting point of the expected tree. The merge is written here independently of layerfs, from
 * the AUFS/OCI rules: a higher branch's entry replaces a lower one, {@code .wh.NAME} removes NAME
 * below, a directory holding {@code .wh..wh..opq} hides everything below it, and a directory
 * takes the mode and times of the highest branch that has it.
 */
final class ReadOnlyStack {

    /** Where a name of the merged view comes from: the branch index (0 = top read-only) and its inode and link count there. */
    record Source(int branch, long ino, int nlink) {
    }

    private final List<Path> branches;

    ReadOnlyStack(List<Path> topFirst) {
        this.branches = List.copyOf(topFirst);
    }

    List<Path> branches() {
        return branches;
    }

    /** Writes the merged view into the empty directory {@code into} and answers where each non-directory comes from. */
    Map<String, Source> mergeInto(Path into) throws Exception {
        Path bottom = branches.get(branches.size() - 1);
        Process p = new ProcessBuilder("cp", "-a", bottom + "/.", into.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) {
            throw new IOException("cp -a " + bottom + " " + into + ": " + out);
        }
        for (int i = branches.size() - 2; i >= 0; i--) {
            apply(branches.get(i), into, "");
            copyDirectoryTimes(branches.get(i), into);
        }
        Map<String, Source> sources = new HashMap<>();
        try (Stream<Path> s = Files.walk(into)) {
            for (Path q : (Iterable<Path>) s::iterator) {
                String rel = into.relativize(q).toString();
                if (!Files.isDirectory(q, LinkOption.NOFOLLOW_LINKS)) {
                    sources.put(rel, sourceOf(rel));
                }
            }
        }
        return sources;
    }

    private Source sourceOf(String rel) throws IOException {
        for (int i = 0; i < branches.size(); i++) {
            Path q = branches.get(i).resolve(rel);
            if (Files.exists(q, LinkOption.NOFOLLOW_LINKS)) {
                return new Source(i, (Long) Files.getAttribute(q, "unix:ino", LinkOption.NOFOLLOW_LINKS),
                        (Integer) Files.getAttribute(q, "unix:nlink", LinkOption.NOFOLLOW_LINKS));
            }
        }
        throw new IllegalStateException("no branch holds " + rel);
    }

    /** Lays directory {@code rel} of {@code branch} over {@code into}. */
    private static void apply(Path branch, Path into, String rel) throws IOException {
        Path src = rel.isEmpty() ? branch : branch.resolve(rel);
        Path dst = rel.isEmpty() ? into : into.resolve(rel);
        if (Files.exists(src.resolve(".wh..wh..opq"), LinkOption.NOFOLLOW_LINKS)) {
            for (Path child : list(dst)) {
                removeTree(child);
            }
        }
        for (Path e : list(src)) {
            String name = e.getFileName().toString();
            String childRel = rel.isEmpty() ? name : rel + "/" + name;
            if (name.startsWith(".wh..wh.")) {
                continue;
            }
            if (name.startsWith(".wh.")) {
                removeTree(dst.resolve(name.substring(4)));
            } else if (Files.isDirectory(e, LinkOption.NOFOLLOW_LINKS)) {
                Path d = dst.resolve(name);
                if (Files.exists(d, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(d, LinkOption.NOFOLLOW_LINKS)) {
                    removeTree(d);
                }
                if (!Files.exists(d, LinkOption.NOFOLLOW_LINKS)) {
                    Files.createDirectory(d);
                }
                apply(branch, into, childRel);
            } else {
                Path d = dst.resolve(name);
                removeTree(d);
                Files.copy(e, d, StandardCopyOption.COPY_ATTRIBUTES, LinkOption.NOFOLLOW_LINKS);
                BasicFileAttributes a = Files.readAttributes(e, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                Files.getFileAttributeView(d, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS) // copy leaves a symlink's times
                        .setTimes(a.lastModifiedTime(), a.lastAccessTime(), null);
            }
        }
    }

    /** Directories take the mode and times of the highest branch holding them; set last, children change them. */
    private static void copyDirectoryTimes(Path branch, Path into) throws IOException {
        List<Path> dirs = new ArrayList<>();
        try (Stream<Path> s = Files.walk(branch)) {
            s.filter(q -> Files.isDirectory(q, LinkOption.NOFOLLOW_LINKS)).forEach(dirs::add);
        }
        dirs.sort(Comparator.reverseOrder());
        for (Path d : dirs) {
            Path target = into.resolve(branch.relativize(d).toString());
            if (!Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS) || d.equals(branch)) {
                continue;
            }
            BasicFileAttributes a = Files.readAttributes(d, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            Files.setAttribute(target, "unix:mode", Files.getAttribute(d, "unix:mode"));
            copyUserXattrs(d, target);
            Files.getFileAttributeView(target, BasicFileAttributeView.class).setTimes(a.lastModifiedTime(), a.lastAccessTime(), null);
        }
    }

    /** Gives {@code to} exactly the user.* attributes of {@code from}. */
    private static void copyUserXattrs(Path from, Path to) throws IOException {
        var view = Files.getFileAttributeView(to, java.nio.file.attribute.UserDefinedFileAttributeView.class);
        for (String n : view.list()) {
            view.delete(n);
        }
        var src = Files.getFileAttributeView(from, java.nio.file.attribute.UserDefinedFileAttributeView.class);
        for (String n : src.list()) {
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(src.size(n));
            src.read(n, b);
            b.flip();
            view.write(n, b);
        }
    }

    private static List<Path> list(Path dir) throws IOException {
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        }
    }

    private static void removeTree(Path p) throws IOException {
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
            for (Path c : list(p)) {
                removeTree(c);
            }
        }
        Files.delete(p);
    }
}
