package dev.layerfs.cli.lxc;

import dev.layerfs.branch.BranchSpecException;
import dev.layerfs.branch.BranchStack;
import dev.layerfs.cli.UserError;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The branches of a container's union, top first, as in AUFS {@code dirs=/a=rw:/b=ro:/c=rr}.
 * Checked when the container is made, so that a typo is reported now rather than by a mount
 * hook at the container's first start.
 */
public record UnionDirs(List<Branch> branches) {

    /** One branch: a directory and its mode, {@code rw}, {@code ro} or {@code rr}. */
    public record Branch(Path dir, String mode) {

        public Branch {
            if (!List.of("rw", "ro", "rr").contains(mode)) {
                throw new UserError("unknown branch mode '" + mode + "' for " + dir + ": use rw, ro or rr");
            }
        }

        @Override
        public String toString() {
            return dir + "=" + mode;
        }
    }

    // ':' '=' ',' separate branches and options; blanks and shell characters would not survive
    // the hook's command line.
    private static final Pattern SAFE_PATH = Pattern.compile("[A-Za-z0-9/._+@-]+");

    public UnionDirs {
        branches = List.copyOf(branches);
        if (branches.isEmpty()) {
            throw new UserError("dirs names no branch");
        }
        if (branches.stream().noneMatch(b -> b.mode().equals("rw"))) {
            throw new UserError("dirs=" + join(branches) + " has no writable (=rw) branch for the container's writes");
        }
    }

    /**
     * Parses the value of {@code dirs=} with layerfs's own parser, so that a container accepts
     * exactly what {@code layerfs mount} will: branches separated by ':', each {@code DIR[=MODE]},
     * existing directories, resolved to absolute real paths (the hooks run from anywhere).
     */
    public static UnionDirs parse(String spec) {
        BranchStack stack;
        try {
            stack = BranchStack.parse(spec, Path.of("").toAbsolutePath());
        } catch (BranchSpecException e) {
            throw new UserError(e.getMessage(), e);
        }
        List<Branch> branches = new ArrayList<>();
        for (dev.layerfs.branch.Branch b : stack.branches()) {
            branches.add(new Branch(checkedDir(b.dir().toString()), b.mode().label()));
        }
        return new UnionDirs(branches);
    }

    /**
     * A container made from an image: its private writable branch (created with the container,
     * so not checked here) over the image's layer directories, top first, which never change.
     */
    public static UnionDirs overLayers(Path privateBranch, List<Path> layersTopFirst) {
        List<Branch> branches = new ArrayList<>();
        branches.add(new Branch(privateBranch, "rw"));
        layersTopFirst.forEach(layer -> branches.add(new Branch(checkedDir(layer.toString()), "rr")));
        return new UnionDirs(branches);
    }

    private static Path checkedDir(String path) {
        if (path.isEmpty() || !SAFE_PATH.matcher(path).matches()) {
            throw new UserError("branch '" + path + "' has characters a mount option cannot carry:"
                    + " use letters, digits and / . _ + @ -");
        }
        Path dir = Path.of(path).toAbsolutePath().normalize();
        if (!Files.isDirectory(dir)) {
            throw new UserError("branch " + dir + " is not a directory");
        }
        return dir;
    }

    /** The mount option, {@code dirs=/a=rw:/b=ro}. */
    public String option() {
        return "dirs=" + join(branches);
    }

    private static String join(List<Branch> branches) {
        return branches.stream().map(Branch::toString).collect(Collectors.joining(":"));
    }
}
