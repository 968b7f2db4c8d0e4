package dev.layerfs.mount;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** What /proc/self/mountinfo says is mounted where. */
public final class MountTable {

    private static final Path MOUNTINFO = Path.of("/proc/self/mountinfo");

    private MountTable() {
    }

    /** The file system type mounted at {@code mountPoint} (the last mount there), if any. */
    public static Optional<String> typeAt(Path mountPoint) {
        String want = mountPoint.toString();
        List<String> lines;
        try {
            lines = Files.readAllLines(MOUNTINFO);
        } catch (IOException e) {
            throw new MountException("cannot read " + MOUNTINFO + ": " + e.getMessage(), e);
        }
        Optional<String> type = Optional.empty();
        for (String line : lines) {
            String[] f = line.split(" ");
            int dash = List.of(f).indexOf("-");
            if (f.length > 4 && dash > 0 && dash + 1 < f.length && unescape(f[4]).equals(want)) {
                type = Optional.of(f[dash + 1]);
            }
        }
        return type;
    }

    public static boolean isMounted(Path mountPoint) {
        return typeAt(mountPoint).isPresent();
    }

    /** mountinfo escapes space, tab, newline and backslash as \ooo. */
    static String unescape(String s) {
        if (s.indexOf('\\') < 0) {
            return s;
        }
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 4 <= s.length()) {
                b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }
}
