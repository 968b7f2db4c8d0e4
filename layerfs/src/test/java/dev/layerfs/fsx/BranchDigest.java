package dev.layerfs.fsx;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Everything about a branch that a read-only branch must keep: for every entry its type and
 * mode, owner, size, link count, inode, modification and change times, and content or symlink
 * target. The change time moves on any chmod, chown, link or write, so even a metadata-only
 * change to a lower branch shows. (Access times are left out: reading may update them.)
 */
final class BranchDigest {

    private BranchDigest() {
    }

    static Map<String, String> of(Path root) throws IOException {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                Map<String, Object> a = Files.readAttributes(p, "unix:mode,uid,gid,size,nlink,ino,lastModifiedTime,ctime",
                        LinkOption.NOFOLLOW_LINKS);
                String body = "";
                if (Files.isSymbolicLink(p)) {
                    body = "-> " + Files.readSymbolicLink(p);
                } else if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                    body = EntryState.sha256(Files.readAllBytes(p));
                }
                out.put(root.relativize(p).toString(), Integer.toOctalString((Integer) a.get("mode")) + " " + a.get("uid") + ":"
                        + a.get("gid") + " size=" + a.get("size") + " nlink=" + a.get("nlink") + " ino=" + a.get("ino")
                        + " mtime=" + a.get("lastModifiedTime") + " ctime=" + a.get("ctime") + " " + body);
            }
        }
        return out;
    }

    /** The entries that differ, in words; empty when the branch is unchanged. */
    static String changes(Map<String, String> before, Map<String, String> after) {
        StringBuilder b = new StringBuilder();
        for (var e : before.entrySet()) {
            String now = after.get(e.getKey());
            if (!e.getValue().equals(now)) {
                b.append("\n  ").append(e.getKey()).append(": ").append(e.getValue()).append("  ->  ").append(now);
            }
        }
        for (String k : after.keySet()) {
            if (!before.containsKey(k)) {
                b.append("\n  ").append(k).append(": new ").append(after.get(k));
            }
        }
        return b.toString();
    }
}
