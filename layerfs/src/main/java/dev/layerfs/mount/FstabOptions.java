package dev.layerfs.mount;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Mount options as {@code /etc/fstab}, {@code mount -t fuse.layerfs} and fuse-overlayfs users
 * write them, turned into layerfs's own before {@link MountOptions} reads them:
 * <ul>
 * <li>overlay style {@code lowerdir=/a:/b,upperdir=/u,workdir=/w} becomes
 *     {@code dirs=/u=rw:/a=ro:/b=ro} (lower directories top first, as overlayfs lists them;
 *     without {@code upperdir} the union is read-only). {@code workdir} is accepted and not
 *     used: layerfs assembles copy-ups in {@code .wh..wh.work} inside the upper directory,
 *     which is on the right file system by construction;</li>
 * <li>options that only mean something to mount(8) or systemd ({@code defaults}, {@code auto},
 *     {@code noauto}, {@code nofail}, {@code _netdev}, {@code user}, {@code users},
 *     {@code nouser}, {@code rw}, {@code x-*}, {@code comment=*}) are dropped.</li>
 * </ul>
 */
public final class FstabOptions {

    private static final Set<String> MOUNT_ONLY = Set.of(
            "defaults", "auto", "noauto", "nofail", "_netdev", "user", "users", "nouser", "rw");

    private FstabOptions() {
    }

    /** The option lists with overlay-style branches spelled as {@code dirs=} and mount(8)-only options gone. */
    public static List<String> normalize(List<String> optionLists) {
        String lower = null;
        String upper = null;
        boolean dirs = false;
        List<String> kept = new ArrayList<>();
        for (String list : optionLists) {
            for (String opt : list.split(",")) {
                String key = opt.contains("=") ? opt.substring(0, opt.indexOf('=')) : opt;
                String value = opt.contains("=") ? opt.substring(opt.indexOf('=') + 1) : null;
                switch (key) {
                    case "lowerdir" -> lower = once(lower, opt, value);
                    case "upperdir" -> upper = once(upper, opt, value);
                    case "workdir" -> {
                        // accepted for fuse-overlayfs compatibility; copy-ups use .wh..wh.work in the upper directory
                    }
                    default -> {
                        if (opt.isEmpty() || MOUNT_ONLY.contains(opt) || opt.startsWith("x-") || key.equals("comment")) {
                            continue;
                        }
                        dirs |= key.equals("dirs") || key.equals("br");
                        kept.add(opt);
                    }
                }
            }
        }
        if (upper != null && lower == null) {
            throw new MountException("upperdir= needs lowerdir= too: " + upper);
        }
        if (lower != null) {
            if (dirs) {
                throw new MountException("give the branches once: dirs= or lowerdir=/upperdir=, not both");
            }
            kept.add(0, "dirs=" + overlayToDirs(lower, upper));
        }
        return kept.isEmpty() ? List.of() : List.of(String.join(",", kept));
    }

    private static String once(String previous, String opt, String value) {
        if (previous != null) {
            throw new MountException("given twice: " + opt);
        }
        if (value == null || value.isEmpty()) {
            throw new MountException("empty directory list: " + opt);
        }
        return value;
    }

    private static String overlayToDirs(String lower, String upper) {
        List<String> branches = new ArrayList<>();
        if (upper != null) {
            branches.add(upper + "=rw");
        }
        for (String dir : lower.split(":")) {
            if (dir.isEmpty()) {
                throw new MountException("empty directory in lowerdir=" + lower);
            }
            branches.add(dir + "=ro");
        }
        return String.join(":", branches);
    }
}
