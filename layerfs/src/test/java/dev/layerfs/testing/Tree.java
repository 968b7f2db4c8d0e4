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
                + (kind.equals("dir") ? "" : " " + a.get("size") + " " + a.get("lastModifiedTime")) + " " + body;
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
