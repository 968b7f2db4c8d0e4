package dev.layerfs.imaged.ops;

import java.util.ArrayList;
import java.util.List;

/**
 * Operations settings of a node: how long a node may be silent before its blobs are re-copied
 * elsewhere, garbage collection's grace period and optional period, how often a node sweeps
 * its disk for blob files the metadata no longer knows, and whether it starts by joining an
 * existing cluster.
 */
public record OpsConfig(long nodeTimeoutMillis, long gcGraceMillis, long gcPeriodMillis, long sweepPeriodMillis, boolean join) {

    public static final OpsConfig DEFAULT = new OpsConfig(60_000, 3_600_000, 0, 60_000, false);

    public OpsConfig {
        if (nodeTimeoutMillis < 1 || gcGraceMillis < 0 || gcPeriodMillis < 0 || sweepPeriodMillis < 1) {
            throw new IllegalArgumentException("invalid operations settings: node timeout " + nodeTimeoutMillis
                    + " ms, gc grace " + gcGraceMillis + " ms, gc period " + gcPeriodMillis + " ms, sweep period " + sweepPeriodMillis + " ms");
        }
    }

    /** The settings parsed out of {@code args}, and the arguments left for the rest of the command line. */
    public record Parsed(OpsConfig config, String[] rest) {
    }

    /** Takes {@code --node-timeout-ms}, {@code --gc-grace-ms}, {@code --gc-period-ms}, {@code --sweep-period-ms} and {@code --join} out of {@code args}. */
    public static Parsed extract(String[] args) {
        long timeout = DEFAULT.nodeTimeoutMillis;
        long grace = DEFAULT.gcGraceMillis;
        long gcPeriod = DEFAULT.gcPeriodMillis;
        long sweep = DEFAULT.sweepPeriodMillis;
        boolean join = false;
        List<String> rest = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--join")) {
                join = true;
                continue;
            }
            if (!List.of("--node-timeout-ms", "--gc-grace-ms", "--gc-period-ms", "--sweep-period-ms").contains(a)) {
                rest.add(a);
                continue;
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException("option " + a + " needs a value");
            }
            long v = millis(a, args[++i]);
            switch (a) {
                case "--node-timeout-ms" -> timeout = v;
                case "--gc-grace-ms" -> grace = v;
                case "--gc-period-ms" -> gcPeriod = v;
                default -> sweep = v;
            }
        }
        return new Parsed(new OpsConfig(timeout, grace, gcPeriod, sweep, join), rest.toArray(String[]::new));
    }

    private static long millis(String option, String value) {
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " '" + value + "' is not a number of milliseconds");
        }
    }
}
