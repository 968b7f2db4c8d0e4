package dev.layerfs.imaged.meta;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Map;

/** The value types queries answer with (wrappers keep every answer a plain JSON object). */
public final class Answers {

    private Answers() {
    }

    /** One page of a repository's tags, lexically ordered; {@code more} when a later page exists. */
    public record TagPage(String name, List<String> tags, boolean more) {
    }

    /** A manifest whose subject is the asked-for digest, as the referrers index lists it. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Referrer(String mediaType, String digest, long size, String artifactType,
                           Map<String, String> annotations) {
    }

    public record ReferrerList(List<Referrer> manifests) {
    }

    public record NodeList(List<NodeRecord> nodes) {
    }

    public record BlobList(List<BlobRecord> blobs) {
    }

    /** How a finished upload session ended, so a retried final PUT gets the same answer. */
    public record UploadResult(String id, String repository, String digest, long size) {
    }

    /** Counts for diagnostics, and the log index this state reflects. */
    public record Status(int repositories, int blobs, int manifests, int tags, int nodes) {
    }

    /**
     * What a garbage collection removed (or, for a dry run, would remove): manifests (with their
     * repository) and blobs, and the bytes the blobs take on each holder.
     */
    public record GcResult(long at, long graceMillis, List<Item> manifests, List<Item> blobs, long blobBytes, long remaining) {

        /** A whole plan, or what one collection removed in full. */
        public GcResult(long at, long graceMillis, List<Item> manifests, List<Item> blobs, long blobBytes) {
            this(at, graceMillis, manifests, blobs, blobBytes, 0);
        }

        @JsonInclude(JsonInclude.Include.NON_NULL)
        public record Item(String repository, String digest, long size) {
        }
    }

    public record Digests(List<String> digests) {
    }

    public record NodeIds(List<String> nodes) {
    }

    /** One tag of a repository: the manifest it names and the blobs that manifest references. */
    public record TagView(String tag, String manifest, List<BlobRecord> references) {
    }

    public record RepositoryView(String name, int tagCount, int manifestCount, List<TagView> tags) {
    }

    /** The registry's contents at a glance, for the status page and {@code imaged cluster status}. */
    public record Overview(List<RepositoryView> repositories, int blobCount, long blobBytes,
                           Map<String, Integer> blobsPerNode, List<Lease> leases, long clusterClock) {
    }
}
