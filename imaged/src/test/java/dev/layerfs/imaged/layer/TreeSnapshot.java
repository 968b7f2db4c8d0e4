package dev.layerfs.imaged.layer;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Everything a user could observe about a directory tree, one line per path: type, mode, owner,
 * mtime, size and content hash, symlink target, device numbers, hard-link group and every
 * extended attribute (read with getfattr, independently of the code under test). Two trees are
 * equal as layers when their snapshots are equal.
 */
public final class TreeSnapshot {

    private TreeSnapshot() {
    }

    public static SortedMap<String, String> of(Path root) throws IOException {
        Map<String, String> xattrs = xattrsByPath(root);
        SortedMap<String, String> result = new TreeMap<>();
        Map<Object, String> firstNameOfInode = new HashMap<>();
        List<Path> paths;
        try (Stream<Path> walk = Files.walk(root)) {
            paths = walk.filter(p -> !p.equals(root)).sorted().toList();
        }
        for (Path p : paths) {
            String rel = root.relativize(p).toString();
            Map<String, Object> a = Files.readAttributes(p, "unix:*", LinkOption.NOFOLLOW_LINKS);
            int mode = (Integer) a.get("mode");
            StringBuilder line = new StringBuilder();
            line.append(String.format("mode=%07o uid=%s gid=%s", mode, a.get("uid"), a.get("gid")));
            if (!Files.isSymbolicLink(p)) {
                // layers carry whole seconds, as ustar does
                line.append(" mtime=").append(java.time.Instant.ofEpochSecond(
                        ((FileTime) a.get("lastModifiedTime")).to(java.util.concurrent.TimeUnit.SECONDS)));
            }
            if (Files.isSymbolicLink(p)) {
                line.append(" -> ").append(Commands.run("readlink", p.toString()).strip());
            } else if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                try (InputStream in = Files.newInputStream(p)) {
                    line.append(" size=").append(a.get("size")).append(" sha256=")
                            .append(dev.layerfs.imaged.oci.Digest.of(in).hex(), 0, 16);
                }
            }
            int type = mode & 0170000;
            if (type == 0020000 || type == 0060000) {
                line.append(" rdev=").append(a.get("rdev"));
            }
            if ((Integer) a.get("nlink") > 1 && !Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                String first = firstNameOfInode.putIfAbsent(a.get("dev") + ":" + a.get("ino"), rel);
                line.append(" links=").append(first == null ? rel : first);
            }
            line.append(xattrs.getOrDefault(p.toString(), ""));
            result.put(rel, line.toString());
        }
        return result;
    }

    /** getfattr -R -h: every xattr of every path, without following symlinks. */
    private static Map<String, String> xattrsByPath(Path root) {
        String dump = Commands.run("getfattr", "-R", "-P", "-h", "-d", "-m", "-", "-e", "hex", "--absolute-names", root.toString());
        Map<String, String> result = new HashMap<>();
        String file = null;
        for (String line : dump.split("\n")) {
            if (line.startsWith("# file: ")) {
                file = line.substring("# file: ".length());
            } else if (!line.isBlank() && file != null) {
                result.merge(file, " xattr:" + line, String::concat);
            }
        }
        return result;
    }
}
