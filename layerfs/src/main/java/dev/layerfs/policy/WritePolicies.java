package dev.layerfs.policy;

import java.util.Locale;

/**
 * The two choices a union with several writable branches makes: where new names go
 * ({@code create=}) and where a file of a read-only branch is copied up to ({@code cpup=}).
 * With one writable branch both always answer that branch.
 */
public record WritePolicies(BranchPolicy create, BranchPolicy copyUp) {

    public static WritePolicies defaults() {
        return new WritePolicies(new TopDownParent(), new TopDownParent());
    }

    /**
     * Parses a {@code create=} value: {@code tdp}, {@code rr}, {@code mfs[:SECONDS]},
     * {@code mfsrr:LOW[:SECONDS]} (LOW in bytes, suffix k, m, g or t allowed),
     * {@code pmfs[:SECONDS]}. The AUFS long names work too.
     */
    public static BranchPolicy parseCreate(String value) {
        String[] parts = String.valueOf(value).split(":", -1);
        String name = parts[0];
        return switch (name) {
            case "tdp", "top-down-parent" -> {
                noArguments("create", value, parts, 1);
                yield new TopDownParent();
            }
            case "rr", "round-robin" -> {
                noArguments("create", value, parts, 1);
                yield new RoundRobin();
            }
            case "mfs", "most-free-space" -> {
                noArguments("create", value, parts, 2);
                yield new MostFreeSpace(parts.length > 1 ? seconds(value, parts[1]) : 0);
            }
            case "mfsrr", "most-free-space-round-robin" -> {
                if (parts.length < 2) {
                    throw bad("create", value, "mfsrr needs a free-space threshold, e.g. create=mfsrr:1g");
                }
                noArguments("create", value, parts, 3);
                yield new MostFreeSpaceRoundRobin(bytes(value, parts[1]), parts.length > 2 ? seconds(value, parts[2]) : 0);
            }
            case "pmfs" -> {
                noArguments("create", value, parts, 2);
                yield new ParentMostFreeSpace(parts.length > 1 ? seconds(value, parts[1]) : 0);
            }
            default -> throw bad("create", value, "expected tdp, rr, mfs[:SECONDS], mfsrr:LOW[:SECONDS] or pmfs[:SECONDS]");
        };
    }

    /** Parses a {@code cpup=} value: {@code tdp}, {@code bup} or {@code bu} (or the AUFS long names). */
    public static BranchPolicy parseCopyUp(String value) {
        return switch (String.valueOf(value)) {
            case "tdp", "top-down-parent" -> new TopDownParent();
            case "bup", "bottom-up-parent" -> new BottomUpParent();
            case "bu", "bottom-up" -> new BottomUp();
            default -> throw bad("cpup", value, "expected tdp, bup or bu");
        };
    }

    private static void noArguments(String option, String value, String[] parts, int max) {
        if (parts.length > max) {
            throw bad(option, value, "too many ':' arguments");
        }
    }

    private static long seconds(String value, String text) {
        try {
            long s = Long.parseLong(text);
            if (s < 0 || s > 3600) {
                throw new NumberFormatException();
            }
            return s;
        } catch (NumberFormatException e) {
            throw bad("create", value, "'" + text + "' is not a number of seconds from 0 to 3600");
        }
    }

    /** A size in bytes with an optional binary suffix: {@code 512m} is 512 MiB. */
    static long bytes(String value, String text) {
        String t = text.toLowerCase(Locale.ROOT);
        int shift = 0;
        if (!t.isEmpty()) {
            switch (t.charAt(t.length() - 1)) {
                case 'k' -> shift = 10;
                case 'm' -> shift = 20;
                case 'g' -> shift = 30;
                case 't' -> shift = 40;
                default -> shift = 0;
            }
        }
        String digits = shift == 0 ? t : t.substring(0, t.length() - 1);
        try {
            long n = Long.parseLong(digits);
            if (n < 0 || n > (Long.MAX_VALUE >> shift)) {
                throw new NumberFormatException();
            }
            return n << shift;
        } catch (NumberFormatException e) {
            throw bad("create", value, "'" + text + "' is not a size in bytes (e.g. 1048576, 512m, 2g)");
        }
    }

    private static IllegalArgumentException bad(String option, String value, String why) {
        return new IllegalArgumentException("bad " + option + "=" + value + ": " + why);
    }
}
