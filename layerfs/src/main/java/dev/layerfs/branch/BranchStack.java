package dev.layerfs.branch;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The ordered branches of a union, top first, parsed from AUFS syntax
 * ({@code /upper=rw:/base=ro:/more=rr}). A branch without {@code =MODE} is {@code ro}, except the
 * first, which is {@code rw}. Any branch may be {@code rw}, as in AUFS: with several, the
 * union's create and copy-up policies choose among them; a writable branch below a read-only one
 * is written only where the branches above do not hide it. A union without a writable branch is
 * a legitimate read-only union.
 */
public record BranchStack(List<Branch> branches) {

    public BranchStack {
        branches = List.copyOf(branches);
        if (branches.isEmpty()) {
            throw new BranchSpecException("no branches given");
        }
    }

    /**
     * Parses and checks a {@code dirs=} value: every branch must be an existing directory, named
     * once. Relative paths are resolved against {@code cwd}; symlinks are resolved, so the same
     * directory reached two ways counts as a duplicate.
     */
    public static BranchStack parse(String spec, Path cwd) {
        if (spec == null || spec.isBlank()) {
            throw new BranchSpecException("missing branches: expected dirs=/upper=rw:/lower=ro");
        }
        String[] items = spec.split(":", -1);
        List<Branch> out = new ArrayList<>();
        Map<Path, String> seen = new HashMap<>();
        for (int i = 0; i < items.length; i++) {
            String item = items[i];
            if (item.isEmpty()) {
                throw new BranchSpecException("missing branch at position " + (i + 1) + " in '" + spec + "'");
            }
            String dir = item;
            BranchMode mode = i == 0 ? BranchMode.RW : BranchMode.RO;
            int eq = item.lastIndexOf('=');
            if (eq >= 0) {
                dir = item.substring(0, eq);
                String label = item.substring(eq + 1);
                mode = BranchMode.parse(label).orElseThrow(() -> new BranchSpecException(
                        "unknown branch mode '" + label + "' in '" + item + "' (expected rw, ro or rr)"));
                if (dir.isEmpty()) {
                    throw new BranchSpecException("missing branch directory in '" + item + "'");
                }
            }
            Path path = cwd.resolve(dir).normalize();
            if (!Files.isDirectory(path)) {
                throw new BranchSpecException("branch " + dir + ": " + (Files.exists(path, LinkOption.NOFOLLOW_LINKS)
                        ? "not a directory" : "no such directory"));
            }
            Path real;
            try {
                real = path.toRealPath();
            } catch (IOException e) {
                throw new BranchSpecException("branch " + dir + ": " + e.getMessage());
            }
            String previous = seen.putIfAbsent(real, dir);
            if (previous != null) {
                throw new BranchSpecException("duplicate branch " + dir
                        + (previous.equals(dir) ? "" : " (same directory as " + previous + ")"));
            }
            out.add(new Branch(real, mode));
        }
        return new BranchStack(out);
    }

    public int size() {
        return branches.size();
    }

    public Branch get(int index) {
        return branches.get(index);
    }

    /** The topmost writable branch, if the union is writable at all. */
    public Optional<Branch> writable() {
        return branches.stream().filter(b -> b.mode().writable()).findFirst();
    }

    /** The indexes of the writable branches, top first. */
    public List<Integer> writableIndexes() {
        return java.util.stream.IntStream.range(0, branches.size())
                .filter(i -> branches.get(i).mode().writable()).boxed().toList();
    }

    /** The stack in AUFS syntax, every mode spelled out. */
    public String spec() {
        return String.join(":", branches.stream().map(Branch::toString).toList());
    }
}
