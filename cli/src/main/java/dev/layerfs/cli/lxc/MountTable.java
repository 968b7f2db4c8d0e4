package dev.layerfs.cli.lxc;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The mounts this process sees, from /proc/self/mountinfo. */
public final class MountTable {

    private static final Path MOUNTINFO = Path.of("/proc/self/mountinfo");

    private MountTable() {
    }

    /** Every mountpoint at or below {@code dir}, deepest last as the kernel lists them. */
    public static List<Path> mountsAtOrUnder(Path dir) {
        Path base = dir.toAbsolutePath().normalize();
        List<Path> found = new ArrayList<>();
        for (Path mountpoint : mountpoints()) {
            if (mountpoint.startsWith(base)) {
                found.add(mountpoint);
            }
        }
        return found;
    }

    public static boolean isMountpoint(Path dir) {
        return mountpoints().contains(dir.toAbsolutePath().normalize());
    }

    private static List<Path> mountpoints() {
        try {
            List<Path> points = new ArrayList<>();
            for (String line : Files.readAllLines(MOUNTINFO)) {
                // id parent major:minor root mountpoint options ...
                String[] fields = line.split(" ");
                if (fields.length > 4) {
                    points.add(Path.of(unescape(fields[4])));
                }
            }
            return points;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + MOUNTINFO, e);
        }
    }

    /** The kernel writes blanks, tabs, newlines and backslashes in paths as octal escapes. */
    static String unescape(String field) {
        StringBuilder out = new StringBuilder(field.length());
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c == '\\' && isOctal(field, i + 1)) {
                out.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    private static boolean isOctal(String s, int from) {
        if (from + 3 > s.length()) {
            return false;
        }
        for (int i = from; i < from + 3; i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '7') {
                return false;
            }
        }
        return true;
    }
}
