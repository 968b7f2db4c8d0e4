package dev.layerfs.mount;

import dev.layerfs.branch.BranchStack;
import dev.layerfs.policy.WritePolicies;
import dev.layerfs.union.StatfsMode;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code -o} options of a mount: {@code dirs=} (the branches, AUFS syntax), the kernel cache
 * timeouts, and everything else, which passes through to FUSE unchanged (e.g. {@code suid,dev}).
 *
 * <p>Cache defaults: every change to the union goes through the mount, so the kernel may keep
 * names (positive and negative) for {@value #DEFAULT_ENTRY_TIMEOUT} s, and with the wire engine
 * (the default) attributes as long. With jnr-fuse attributes are kept for only
 * {@value #DEFAULT_ATTR_TIMEOUT} s: libfuse's high-level API shows hard links as separate
 * kernel inodes, and a change through one name is seen through the others after that delay.
 * Page cache: {@code auto_cache} keeps cached pages across opens unless size or mtime changed.
 * No {@code hard_remove}: libfuse 2 then cannot answer fstat on an open file removed by name
 * (the kernel asks by inode, without the handle); layerfs keeps such a file in its work
 * directory instead (see {@code dev.layerfs.union.HiddenFiles}).
 *
 * <p>{@code create=} and {@code cpup=} choose among several writable branches (AUFS policies,
 * {@link WritePolicies}); they are kept as their canonical option values.
 */
public record MountOptions(BranchStack branches, double entryTimeout, double attrTimeout,
                           double negativeTimeout, StatfsMode statfs, String create, String cpup,
                           List<String> passThrough) {

    public static final String DEFAULT_POLICY = "tdp";

    public static final double DEFAULT_ENTRY_TIMEOUT = 60;
    public static final double DEFAULT_ATTR_TIMEOUT = 1;

    /**
     * Who speaks FUSE for the mount ({@code -o engine=}): {@code wire} (the default: layerfs's
     * own FUSE protocol on /dev/fuse, see {@code dev.layerfs.wire}; it mounts with mount(2), so
     * as root) or {@code jnr-fuse} (libfuse 2 through jnr-fuse; mounts through fusermount, so
     * also as another user). The wire engine gives hard links their attributes uncached instead
     * of taxing every file, so its attributes are cached as long as names by default.
     */
    public enum Engine {
        JNR_FUSE("jnr-fuse"), WIRE("wire");

        private final String optionValue;

        Engine(String optionValue) {
            this.optionValue = optionValue;
        }

        static Engine parse(String opt, String value) {
            for (Engine e : values()) {
                if (e.optionValue.equals(value)) {
                    return e;
                }
            }
            throw new MountException("unknown " + opt + " (expected engine=jnr-fuse or engine=wire)");
        }
    }
    /** The engine of a mount that names none. */
    public static final Engine DEFAULT_ENGINE = Engine.WIRE;

    /** Every kernel cache timeout under {@code udba=reval}: direct changes to branches show within this. */
    public static final double REVAL_TIMEOUT = 1;

    public MountOptions {
        passThrough = List.copyOf(passThrough);
    }

    /** Parses the values of every {@code -o} given (each a comma-separated list). */
    public static MountOptions parse(List<String> optionLists, Path cwd) {
        String dirs = null;
        Double entry = null;
        Double attr = null;
        Double negative = null;
        boolean reval = false;
        StatfsMode statfs = StatfsMode.TOP;
        Engine engine = DEFAULT_ENGINE;
        String create = DEFAULT_POLICY;
        String cpup = DEFAULT_POLICY;
        List<String> rest = new ArrayList<>();
        for (String list : FstabOptions.normalize(optionLists)) {
            for (String opt : list.split(",")) {
                if (opt.isEmpty()) {
                    continue;
                }
                int eq = opt.indexOf('=');
                String key = eq < 0 ? opt : opt.substring(0, eq);
                String value = eq < 0 ? null : opt.substring(eq + 1);
                switch (key) {
                    case "dirs", "br" -> {
                        if (dirs != null) {
                            throw new MountException("dirs= given twice: " + opt);
                        }
                        dirs = value;
                    }
                    case "entry_timeout" -> entry = seconds(opt, value);
                    case "attr_timeout" -> attr = seconds(opt, value);
                    case "negative_timeout" -> negative = seconds(opt, value);
                    case "udba" -> reval = udba(opt, value);
                    case "statfs" -> {
                        try {
                            statfs = StatfsMode.parse(value);
                        } catch (IllegalArgumentException e) {
                            throw new MountException(e.getMessage());
                        }
                    }
                    case "engine" -> {
                        engine = Engine.parse(opt, value);
                        rest.add(opt); // kept in the options: the daemon re-parses them
                    }
                    case "create" -> create = policy(() -> WritePolicies.parseCreate(value).spec());
                    case "cpup" -> cpup = policy(() -> WritePolicies.parseCopyUp(value).spec());
                    default -> rest.add(opt);
                }
            }
        }
        if (dirs == null) {
            throw new MountException("missing -o dirs=/upper=rw:/lower=ro (or lowerdir=/lower,upperdir=/upper)");
        }
        double names = reval ? REVAL_TIMEOUT : DEFAULT_ENTRY_TIMEOUT;
        return new MountOptions(BranchStack.parse(dirs, cwd), entry != null ? entry : names,
                attr != null ? attr : reval ? REVAL_TIMEOUT : engine == Engine.WIRE ? names : DEFAULT_ATTR_TIMEOUT,
                negative != null ? negative : names, statfs, create, cpup, rest);
    }

    private static String policy(java.util.function.Supplier<String> parse) {
        try {
            return parse.get();
        } catch (IllegalArgumentException e) {
            throw new MountException(e.getMessage());
        }
    }

    /** Fresh policy objects for one mount (round robin keeps its turn in them). */
    public WritePolicies policies() {
        return new WritePolicies(WritePolicies.parseCreate(create), WritePolicies.parseCopyUp(cpup));
    }

    /**
     * AUFS's udba ("user's direct branch access"): {@code none} keeps the default timeouts
     * (names cached 60 s), {@code reval} drops every kernel cache timeout to 1 s so changes
     * made directly in the branches show within about a second. Explicit timeouts still win.
     */
    private static boolean udba(String opt, String value) {
        return switch (String.valueOf(value)) {
            case "none" -> false;
            case "reval" -> true;
            default -> throw new MountException("unknown " + opt + " (expected udba=none or udba=reval)");
        };
    }

    private static double seconds(String opt, String value) {
        try {
            double d = Double.parseDouble(value == null ? "" : value);
            if (d < 0 || Double.isNaN(d)) {
                throw new NumberFormatException();
            }
            return d;
        } catch (NumberFormatException e) {
            throw new MountException("bad timeout " + opt + ": expected seconds >= 0");
        }
    }

    /** The FUSE engine {@code -o engine=} chose. */
    public Engine engine() {
        return passThrough.stream().filter(o -> o.startsWith("engine=")).reduce((a, b) -> b)
                .map(o -> Engine.parse(o, o.substring(7))).orElse(DEFAULT_ENGINE);
    }

    /** The options again as one {@code -o} value, branches spelled out absolutely (for a re-executed daemon). */
    public String toOptionString() {
        List<String> all = new ArrayList<>();
        all.add("dirs=" + branches.spec());
        all.add("entry_timeout=" + entryTimeout);
        all.add("attr_timeout=" + attrTimeout);
        all.add("negative_timeout=" + negativeTimeout);
        if (statfs != StatfsMode.TOP) {
            // only when asked: Unmounter finds the daemon by its arguments, which the JDK hides
            // once a command line passes 4 KiB (a test class path comes close)
            all.add("statfs=" + statfs.optionValue());
        }
        if (!create.equals(DEFAULT_POLICY)) {
            all.add("create=" + create);
        }
        if (!cpup.equals(DEFAULT_POLICY)) {
            all.add("cpup=" + cpup);
        }
        all.addAll(passThrough);
        return String.join(",", all);
    }

    /** The libfuse arguments for this mount. */
    public List<String> fuseArgs(boolean root) {
        List<String> o = new ArrayList<>(List.of(
                "fsname=layerfs", "subtype=layerfs", "use_ino", "big_writes",
                "max_read=131072", "max_write=131072", "auto_cache",
                "entry_timeout=" + entryTimeout, "attr_timeout=" + attrTimeout,
                "negative_timeout=" + negativeTimeout));
        if (root) {
            // served by root for containers and other users; the kernel checks permissions
            if (!passThrough.contains("noallow_other")) {
                o.add("allow_other");
            }
            o.add("default_permissions");
        }
        passThrough.stream().filter(p -> !p.equals("noallow_other") && !p.startsWith("engine=")).forEach(o::add);
        List<String> args = new ArrayList<>();
        args.add("-o");
        args.add(String.join(",", o));
        return args;
    }
}
