package dev.layerfs.cli.imaged;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code imaged gc [--dry-run] [--untagged]}: garbage collection, decided through Raft. */
@Command(name = "gc", mixinStandardHelpOptions = true,
        description = {"Remove blobs no manifest references (and, with --untagged, manifests no tag reaches).",
                "Anything pushed within the grace period is kept; every node then deletes the files."})
public final class GcCommand implements Callable<Integer> {

    @picocli.CommandLine.Mixin
    OpsServer target = new OpsServer();

    @Option(names = "--dry-run", description = "List what would be removed; change nothing.")
    boolean dryRun;

    @Option(names = "--untagged", description = "Also remove manifests that no tag (or index of a tagged manifest) reaches.")
    boolean untagged;

    @Option(names = "--grace", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "Keep anything pushed within this long (default: the server's --gc-grace), e.g. 10m, 1h.")
    Duration grace;

    @Override
    public Integer call() {
        String query = "/gc?dryRun=" + dryRun + "&untagged=" + untagged + (grace == null ? "" : "&graceMs=" + grace.toMillis());
        JsonNode r = target.api().call("POST", query, Duration.ofMinutes(5));
        String verb = dryRun ? "would remove" : "removed";
        for (JsonNode m : r.get("manifests")) {
            System.out.printf("%s manifest %s@%s%n", verb, m.get("repository").asText(), m.get("digest").asText());
        }
        for (JsonNode b : r.get("blobs")) {
            System.out.printf("%s blob %s (%d bytes)%n", verb, b.get("digest").asText(), b.get("size").asLong());
        }
        System.out.printf("%s %d manifests and %d blobs (%d bytes on each holder)%n", verb,
                r.get("manifests").size(), r.get("blobs").size(), r.get("blobBytes").asLong());
        return 0;
    }
}
