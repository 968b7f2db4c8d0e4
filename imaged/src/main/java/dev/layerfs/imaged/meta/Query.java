package dev.layerfs.imaged.meta;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import dev.layerfs.imaged.meta.Answers.BlobList;
import dev.layerfs.imaged.meta.Answers.NodeList;
import dev.layerfs.imaged.meta.Answers.ReferrerList;
import dev.layerfs.imaged.meta.Answers.Status;
import dev.layerfs.imaged.meta.Answers.TagPage;
import dev.layerfs.imaged.meta.Answers.UploadResult;

/** A read of the metadata; answers null when there is nothing to find. */
@JsonTypeInfo(use = JsonTypeInfo.Id.SIMPLE_NAME, property = "type")
@JsonSubTypes({
        @JsonSubTypes.Type(Query.GetManifest.class),
        @JsonSubTypes.Type(Query.GetBlob.class),
        @JsonSubTypes.Type(Query.FindBlob.class),
        @JsonSubTypes.Type(Query.ListTags.class),
        @JsonSubTypes.Type(Query.ListReferrers.class),
        @JsonSubTypes.Type(Query.ListNodes.class),
        @JsonSubTypes.Type(Query.UnderReplicated.class),
        @JsonSubTypes.Type(Query.HeldBy.class),
        @JsonSubTypes.Type(Query.GetUpload.class),
        @JsonSubTypes.Type(Query.GetStatus.class),
        @JsonSubTypes.Type(Query.PlanGarbage.class),
        @JsonSubTypes.Type(Query.KnownBlobs.class),
        @JsonSubTypes.Type(Query.UnderReplicatedAmong.class),
        @JsonSubTypes.Type(Query.GetLease.class),
        @JsonSubTypes.Type(Query.GetOverview.class),
        @JsonSubTypes.Type(Query.LeavingNodes.class),
})
public sealed interface Query<T> {

    T answer(Metadata metadata);

    Class<T> answerType();

    /** By tag or digest. */
    record GetManifest(String repository, String reference) implements Query<ManifestRecord> {
        public ManifestRecord answer(Metadata m) {
            return m.manifest(repository, reference).orElse(null);
        }

        public Class<ManifestRecord> answerType() {
            return ManifestRecord.class;
        }
    }

    /** A blob linked into a repository. */
    record GetBlob(String repository, String digest) implements Query<BlobRecord> {
        public BlobRecord answer(Metadata m) {
            return m.blob(repository, digest).orElse(null);
        }

        public Class<BlobRecord> answerType() {
            return BlobRecord.class;
        }
    }

    /** A blob in any repository (for node-to-node copies). */
    record FindBlob(String digest) implements Query<BlobRecord> {
        public BlobRecord answer(Metadata m) {
            return m.blob(digest).orElse(null);
        }

        public Class<BlobRecord> answerType() {
            return BlobRecord.class;
        }
    }

    record ListTags(String repository, int n, String last) implements Query<TagPage> {
        public TagPage answer(Metadata m) {
            return m.tags(repository, n, last).orElse(null);
        }

        public Class<TagPage> answerType() {
            return TagPage.class;
        }
    }

    record ListReferrers(String repository, String subject, String artifactType) implements Query<ReferrerList> {
        public ReferrerList answer(Metadata m) {
            return m.referrers(repository, subject, artifactType);
        }

        public Class<ReferrerList> answerType() {
            return ReferrerList.class;
        }
    }

    record ListNodes() implements Query<NodeList> {
        public NodeList answer(Metadata m) {
            return m.nodes();
        }

        public Class<NodeList> answerType() {
            return NodeList.class;
        }
    }

    record UnderReplicated(int factor, int limit) implements Query<BlobList> {
        public BlobList answer(Metadata m) {
            return m.underReplicated(factor, limit);
        }

        public Class<BlobList> answerType() {
            return BlobList.class;
        }
    }

    /** A page of the blobs recorded as held by a node. */
    record HeldBy(String node, String after, int limit) implements Query<BlobList> {
        public BlobList answer(Metadata m) {
            return m.heldBy(node, after, limit);
        }

        public Class<BlobList> answerType() {
            return BlobList.class;
        }
    }

    record GetUpload(String id) implements Query<UploadResult> {
        public UploadResult answer(Metadata m) {
            return m.upload(id).orElse(null);
        }

        public Class<UploadResult> answerType() {
            return UploadResult.class;
        }
    }

    record GetStatus() implements Query<Status> {
        public Status answer(Metadata m) {
            return m.status();
        }

        public Class<Status> answerType() {
            return Status.class;
        }
    }

    /** A dry run of {@link Command.CollectGarbage}. */
    record PlanGarbage(long now, long graceMillis, boolean untagged) implements Query<Answers.GcResult> {
        public Answers.GcResult answer(Metadata m) {
            return m.gcPlan(now, graceMillis, untagged);
        }

        public Class<Answers.GcResult> answerType() {
            return Answers.GcResult.class;
        }
    }

    /** Which of these blob digests the metadata still knows (a node's sweeper deletes the rest). */
    record KnownBlobs(java.util.List<String> digests) implements Query<Answers.Digests> {
        public Answers.Digests answer(Metadata m) {
            return new Answers.Digests(m.knownBlobs(digests));
        }

        public Class<Answers.Digests> answerType() {
            return Answers.Digests.class;
        }
    }

    /**
     * Blobs below {@code factor} when the {@code unavailable} nodes (down, or leaving) are not
     * counted, in digest order after {@code after} (exclusive; null: from the first).
     */
    record UnderReplicatedAmong(int factor, java.util.List<String> unavailable, String after, int limit) implements Query<BlobList> {
        public BlobList answer(Metadata m) {
            return m.underReplicated(factor, unavailable, after, limit);
        }

        public Class<BlobList> answerType() {
            return BlobList.class;
        }
    }

    /** The live grant of a lease; none when free or lapsed. */
    record GetLease(String name) implements Query<Lease> {
        public Lease answer(Metadata m) {
            return m.lease(name).orElse(null);
        }

        public Class<Lease> answerType() {
            return Lease.class;
        }
    }

    record GetOverview(int maxRepositories, int maxTags) implements Query<Answers.Overview> {
        public Answers.Overview answer(Metadata m) {
            return m.overview(maxRepositories, maxTags);
        }

        public Class<Answers.Overview> answerType() {
            return Answers.Overview.class;
        }
    }

    /** Nodes being removed from the cluster. */
    record LeavingNodes() implements Query<Answers.NodeIds> {
        public Answers.NodeIds answer(Metadata m) {
            return new Answers.NodeIds(m.leavingNodes());
        }

        public Class<Answers.NodeIds> answerType() {
            return Answers.NodeIds.class;
        }
    }
}
