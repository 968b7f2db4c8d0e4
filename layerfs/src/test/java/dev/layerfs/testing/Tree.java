package dev.layerfs.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/** Small helpers to build branch trees and describe them for comparison. */
public final class Tree {

    private Tree() {
    }

    public static Path write(Path root, String rel, String content) throws IOException {
        Path p = root.resolve(rel);
        Files.createDirectories(p.getParent());
        Files.writeString(p, content);
        return p;
    }

    public static String read(Path p) throws IOException {
        return Files.readString(p, StandardCharsets.UTF_8);
    }

    public static Path dir(Path root, String rel) throws IOException {
        return Files.createDirectories(root.resolve(rel));
    }

    /** Every entry below {@code root}: relative path mapped to type, mode, owner, size and content digest. */
    public static Map<String, String> describe(Path root) throws IOException {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                out.put(root.relativize(p).toString(), describeOne(p));
            }
        }
        return out;
    }

    /** Fails listing (at most 20 of) the entries that differ, instead of two whole trees. */
    public static void assertSameTree(Map<String, String> want, Map<String, String> got) {
        java.util.List<String> diffs = new java.util.ArrayList<>();
        java.util.Set<String> keys = new java.util.TreeSet<>(want.keySet());
        keys.addAll(got.keySet());
        for (String k : keys) {
            if (!java.util.Objects.equals(want.get(k), got.get(k))) {
                diffs.add(k + ": expected [" + want.get(k) + "] but was [" + got.get(k) + "]");
            }
        }
        if (!diffs.isEmpty()) {
            throw new AssertionError(diffs.size() + " entries differ:\n" + String.join("\n", diffs.subList(0, Math.min(20, diffs.size()))));
        }
    }

    public static String describeOne(Path p) throws IOException {
        Map<String, Object> a = Files.readAttributes(p, "unix:mode,uid,gid,size,lastModifiedTime", LinkOption.NOFOLLOW_LINKS);
        String kind;
        String body = "";
        if (Files.isSymbolicLink(p)) {
            kind = "link";
            body = Files.readSymbolicLink(p).toString();
        } else if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
            kind = "dir";
        } else if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
            kind = "file";
            body = sha256(Files.readAllBytes(p));
        } else {
            kind = "special";
        }
        return kind + " " + Integer.toOctalString((Integer) a.get("mode")) + " " + a.get("uid") + ":" + a.get("gid")
                + (kind.equals("file") ? " " + a.get("size") + " "
                + ((java.nio.file.attribute.FileTime) a.get("lastModifiedTime")).to(java.util.concurrent.TimeUnit.MICROSECONDS) : "") + " " + body;
    }

    /**
     * A fingerprint of everything under {@code root} that a change could touch: every entry's
     * type, mode, owner, size, times (directories too), content, link target and extended attributes.
     */
    public static String fingerprint(Path root) throws Exception {
        String listing = Cmd.ok("find", root.toString(), "-printf", "%P %y %m %U:%G %s %T@ %C@ %l\\n");
        String sums = Cmd.ok("sh", "-c", "cd '" + root + "' && find . -type f -print0 | sort -z | xargs -0 -r sha256sum");
        String xattrs = Cmd.ok("getfattr", "-R", "-h", "-d", "-m", "-", "--absolute-names", root.toString());
        return sha256((listing + "\n" + sums + "\n" + xattrs).getBytes(StandardCharsets.UTF_8));
    }

    public static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public static void chmod(Path p, String perms) throws IOException {
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(perms));
    }
}
