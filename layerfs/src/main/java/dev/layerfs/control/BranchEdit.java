package dev.layerfs.control;

import dev.layerfs.branch.BranchMode;
import dev.layerfs.branch.BranchSpecException;

import java.nio.file.Path;
import java.util.OptionalInt;

/**
 * One change to the branches of a mounted union, in AUFS's remount syntax:
 * {@code add:INDEX:DIR[=MODE]} (INDEX 0 is the top; MODE defaults to ro), {@code append:DIR[=MODE]}
 * (at the bottom), {@code prepend:DIR[=MODE]} (at the top), {@code del:DIR}, {@code mod:DIR=MODE}.
 * Directories are absolute once parsed (resolved against the caller's working directory).
 */
public sealed interface BranchEdit {

    /** Adds {@code dir} at {@code position} (0 is the top), or at the bottom when empty. */
    record Add(OptionalInt position, Path dir, BranchMode mode) implements BranchEdit {
        @Override
        public String option() {
            return (position.isPresent() ? "add:" + position.getAsInt() + ":" : "append:") + dir + "=" + mode.label();
        }
    }

    record Delete(Path dir) implements BranchEdit {
        @Override
        public String option() {
            return "del:" + dir;
        }
    }

    record Modify(Path dir, BranchMode mode) implements BranchEdit {
        @Override
        public String option() {
            return "mod:" + dir + "=" + mode.label();
        }
    }

    /** The edit in remount syntax, directory absolute: what travels to the daemon. */
    String option();

    /** Whether {@code option} (one item of a {@code -o} list) is a branch edit at all. */
    static boolean isEdit(String option) {
        return option.startsWith("add:") || option.startsWith("append:") || option.startsWith("prepend:")
                || option.startsWith("del:") || option.startsWith("mod:");
    }

    /** Parses one edit; relative directories are taken relative to {@code cwd}. */
    static BranchEdit parse(String option, Path cwd) {
        int colon = option.indexOf(':');
        if (colon < 0 || !isEdit(option)) {
            throw new BranchSpecException("unknown branch change '" + option
                    + "' (expected add:INDEX:DIR=MODE, append:DIR, prepend:DIR, del:DIR or mod:DIR=MODE)");
        }
        String verb = option.substring(0, colon);
        String rest = option.substring(colon + 1);
        return switch (verb) {
            case "add" -> {
                int second = rest.indexOf(':');
                if (second < 0) {
                    throw new BranchSpecException("missing index in '" + option + "' (expected add:INDEX:DIR[=MODE])");
                }
                String index = rest.substring(0, second);
                int position;
                try {
                    position = Integer.parseInt(index);
                } catch (NumberFormatException e) {
                    throw new BranchSpecException("bad index '" + index + "' in '" + option + "' (expected 0 for the top, 1, ...)");
                }
                if (position < 0) {
                    throw new BranchSpecException("bad index " + position + " in '" + option + "' (0 is the top)");
                }
                String spec = rest.substring(second + 1);
                yield new Add(OptionalInt.of(position), dir(spec, option, cwd), mode(spec, option, BranchMode.RO));
            }
            case "append" -> new Add(OptionalInt.empty(), dir(rest, option, cwd), mode(rest, option, BranchMode.RO));
            case "prepend" -> new Add(OptionalInt.of(0), dir(rest, option, cwd), mode(rest, option, BranchMode.RO));
            case "del" -> {
                if (rest.contains("=")) {
                    throw new BranchSpecException("a deleted branch takes no mode: '" + option + "' (expected del:DIR)");
                }
                yield new Delete(dir(rest, option, cwd));
            }
            default -> { // mod
                if (!rest.contains("=")) {
                    throw new BranchSpecException("missing mode in '" + option + "' (expected mod:DIR=rw, ro or rr)");
                }
                yield new Modify(dir(rest, option, cwd), mode(rest, option, null));
            }
        };
    }

    private static Path dir(String spec, String option, Path cwd) {
        int eq = spec.lastIndexOf('=');
        String dir = eq < 0 ? spec : spec.substring(0, eq);
        if (dir.isEmpty()) {
            throw new BranchSpecException("missing branch directory in '" + option + "'");
        }
        if (dir.contains(":") || dir.contains(",")) {
            throw new BranchSpecException("branch " + dir + ": a branch path may not contain ':' or ','");
        }
        return cwd.resolve(dir).normalize();
    }

    private static BranchMode mode(String spec, String option, BranchMode fallback) {
        int eq = spec.lastIndexOf('=');
        if (eq < 0) {
            return fallback;
        }
        String label = spec.substring(eq + 1);
        return BranchMode.parse(label).orElseThrow(() -> new BranchSpecException(
                "unknown branch mode '" + label + "' in '" + option + "' (expected rw, ro or rr)"));
    }
}
