package dev.layerfs.union;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** This process's open-file limit (RLIMIT_NOFILE, soft), as the kernel reports it. */
final class OpenFileLimit {

    /** Assumed when the limit cannot be read: the usual default soft limit. */
    static final int FALLBACK = 1024;

    private OpenFileLimit() {
    }

    static int soft() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
                if (line.startsWith("Max open files")) {
                    return parseSoft(line);
                }
            }
        } catch (IOException | RuntimeException e) {
            // no /proc: keep the fallback
        }
        return FALLBACK;
    }

    /** "Max open files   20000   20000   files": the first number; "unlimited" is taken as a large one. */
    static int parseSoft(String line) {
        String[] fields = line.substring("Max open files".length()).trim().split("\\s+");
        return fields[0].equals("unlimited") ? Integer.MAX_VALUE : (int) Math.min(Integer.MAX_VALUE, Long.parseLong(fields[0]));
    }
}
