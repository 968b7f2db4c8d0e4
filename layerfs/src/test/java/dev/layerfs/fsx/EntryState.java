package dev.layerfs.fsx;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What a user sees of one name (lstat, not following a symlink): type, permission bits, owner,
 * size, link count, modification time, inode number, and the content digest or symlink target.
 */
record EntryState(char type, int perms, int uid, int gid, long size, int nlink, long mtimeNanos, long ino, String body,
                  String xattrs) {

    /** Writes through the union and the expected tree happen a few ms apart; an unwanted "now" or a lost change is years off. */
    static final long MTIME_TOLERANCE_NANOS = 5_000_000_000L;

    static Optional<EntryState> of(Path p) throws IOException {
        Map<String, Object> a;
        try {
            a = Files.readAttributes(p, "unix:mode,uid,gid,size,nlink,lastModifiedTime,ino", LinkOption.NOFOLLOW_LINKS);
        } catch (java.nio.file.NoSuchFileException e) {
            return Optional.empty();
        }
        int mode = (Integer) a.get("mode");
        char type = switch (mode & 0170000) {
            case 0040000 -> 'd';
            case 0100000 -> 'f';
            case 0120000 -> 'l';
            default -> '?';
        };
        String body = switch (type) {
            case 'f' -> sha256(Files.readAllBytes(p));
            case 'l' -> Files.readSymbolicLink(p).toString();
            default -> "";
        };
        FileTime mtime = (FileTime) a.get("lastModifiedTime");
        long mtimeNanos = mtime.to(java.util.concurrent.TimeUnit.NANOSECONDS);
        return Optional.of(new EntryState(type, mode & 07777, (Integer) a.get("uid"), (Integer) a.get("gid"),
                type == 'd' ? 0 : (Long) a.get("size"), (Integer) a.get("nlink"), mtimeNanos, (Long) a.get("ino"), body,
                type == 'l' ? "" : userXattrs(p.toString())));
    }

    /** The user.* extended attributes, sorted, as name=value (other namespaces belong to the system). */
    static String userXattrs(String path) {
        byte[] list = new byte[4096];
        long n = Sys.rc(Sys.c().llistxattr(path, list, list.length));
        if (n <= 0) {
            return n == 0 ? "" : "(" + Sys.errnoName(n) + ")";
        }
        java.util.TreeMap<String, String> out = new java.util.TreeMap<>();
        for (String name : new String(list, 0, (int) n, java.nio.charset.StandardCharsets.UTF_8).split("\0")) {
            if (name.startsWith("user.")) {
                byte[] v = new byte[4096];
                long len = Sys.rc(Sys.c().lgetxattr(path, name, v, v.length));
                out.put(name, len < 0 ? "(" + Sys.errnoName(len) + ")" : new String(v, 0, (int) len, java.nio.charset.StandardCharsets.UTF_8));
            }
        }
        return out.isEmpty() ? "" : out.toString();
    }

    /**
     * The differences a user would notice between the expected state and the union's, in words;
     * empty when they agree. Directory sizes and link counts are the branch file system's
     * bookkeeping (a merged directory has no meaningful count of subdirectories), so not compared;
     * {@code expectedNlink} is the link count the union must show for a non-directory.
     */
    static List<String> differences(EntryState expected, EntryState actual, int expectedNlink) {
        List<String> d = new ArrayList<>();
        if (expected.type != actual.type) {
            d.add("type " + expected.type + " vs " + actual.type);
            return d;
        }
        if (expected.perms != actual.perms) {
            d.add("mode " + Integer.toOctalString(expected.perms) + " vs " + Integer.toOctalString(actual.perms));
        }
        if (expected.uid != actual.uid || expected.gid != actual.gid) {
            d.add("owner " + expected.uid + ":" + expected.gid + " vs " + actual.uid + ":" + actual.gid);
        }
        if (expected.type != 'd') {
            if (expected.size != actual.size) {
                d.add("size " + expected.size + " vs " + actual.size);
            }
            if (expectedNlink != actual.nlink) {
                d.add("nlink " + expectedNlink + " vs " + actual.nlink);
            }
            if (!expected.body.equals(actual.body)) {
                d.add((expected.type == 'l' ? "target " : "content ") + shortly(expected.body) + " vs " + shortly(actual.body));
            }
        }
        if (!expected.xattrs.equals(actual.xattrs)) {
            d.add("xattrs " + expected.xattrs + " vs " + actual.xattrs);
        }
        if (Math.abs(expected.mtimeNanos - actual.mtimeNanos) > MTIME_TOLERANCE_NANOS) {
            d.add("mtime " + FileTime.from(expected.mtimeNanos, java.util.concurrent.TimeUnit.NANOSECONDS)
                    + " vs " + FileTime.from(actual.mtimeNanos, java.util.concurrent.TimeUnit.NANOSECONDS));
        }
        return d;
    }

    private static String shortly(String s) {
        return s.length() > 16 ? s.substring(0, 16) : s;
    }

    static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
