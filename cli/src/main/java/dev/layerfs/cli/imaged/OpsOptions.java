package dev.layerfs.cli.imaged;

import dev.layerfs.cli.UserError;
import dev.layerfs.imaged.ops.OpsConfig;
import java.time.Duration;
import picocli.CommandLine.Option;

/** {@code imaged serve}'s operations options: node timeout, garbage collection, joining a cluster. */
public final class OpsOptions {

    @Option(names = "--node-timeout", paramLabel = "DURATION", defaultValue = "60s", converter = DurationConverter.class,
            description = "A node silent this long no longer counts as a blob holder; its blobs are copied elsewhere (default: ${DEFAULT-VALUE}).")
    Duration nodeTimeout;

    @Option(names = "--gc-grace", paramLabel = "DURATION", defaultValue = "1h", converter = DurationConverter.class,
            description = "Garbage collection keeps anything pushed within this long (default: ${DEFAULT-VALUE}).")
    Duration gcGrace;

    @Option(names = "--gc-period", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "Collect garbage this often (unreferenced blobs only; default: only on 'imaged gc').")
    Duration gcPeriod;

    @Option(names = "--join", description = "Start as a new node waiting to be added with 'imaged cluster add' (fresh data directory).")
    boolean join;

    OpsConfig config() {
        try {
            return new OpsConfig(nodeTimeout.toMillis(), gcGrace.toMillis(), gcPeriod == null ? 0 : gcPeriod.toMillis(),
                    OpsConfig.DEFAULT.sweepPeriodMillis(), join);
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage(), e);
        }
    }
}
