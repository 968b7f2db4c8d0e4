package dev.layerfs.imaged.server;

import dev.layerfs.imaged.blob.BlobStore;
import dev.layerfs.imaged.blob.StoredBlob;
import dev.layerfs.imaged.blob.Upload;
import dev.layerfs.imaged.blob.Uploads;
import dev.layerfs.imaged.meta.Answers.ReferrerList;
import dev.layerfs.imaged.meta.Answers.TagPage;
import dev.layerfs.imaged.meta.Answers.UploadResult;
import dev.layerfs.imaged.meta.BlobRecord;
import dev.layerfs.imaged.meta.Command;
import dev.layerfs.imaged.meta.Fence;
import dev.layerfs.imaged.meta.ManifestRecord;
import dev.layerfs.imaged.meta.MetadataService;
import dev.layerfs.imaged.meta.Outcome;
import dev.layerfs.imaged.meta.Query;
import dev.layerfs.imaged.meta.ReadMode;
import dev.layerfs.imaged.oci.Digest;
import dev.layerfs.imaged.oci.ErrorCode;
import dev.layerfs.imaged.oci.RegistryException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The registry's operations, as the OCI Distribution Spec defines them, over the metadata service,
 * this node's blob store and upload sessions, and blob replication. Plain Java: the HTTP handlers
 * only translate requests into these calls and results into responses.
 */
public final class Registry {

    private static final Logger LOG = LoggerFactory.getLogger(Registry.class);

    /** The spec's repository name grammar; it also rules out path tricks such as {@code ..}. */
    private static final Pattern NAME = Pattern.compile(
            "[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*)*");
    private static final Pattern TAG = Pattern.compile("[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}");
    public static final int MAX_MANIFEST_BYTES = 4 << 20;

    private final MetadataService meta;
    private final BlobStore store;
    private final Uploads uploads;
    private final BlobReplication replication;

    public Registry(MetadataService meta, BlobStore store, Uploads uploads, BlobReplication replication) {
        this.meta = meta;
        this.store = store;
        this.uploads = uploads;
        this.replication = replication;
    }

    public static void checkName(String name) {
        if (name.length() > 255 || !NAME.matcher(name).matches()) {
            throw new RegistryException(ErrorCode.NAME_INVALID, "invalid repository name '" + name + "'");
        }
    }

    public static Digest parseDigest(String value) {
        try {
            return Digest.parse(value);
        } catch (IllegalArgumentException e) {
            throw new RegistryException(ErrorCode.DIGEST_INVALID, e.getMessage());
        }
    }

    // ---- blobs ----

    public BlobRecord statBlob(String repo, Digest digest) {
        return meta.read(new Query.GetBlob(repo, digest.toString()))
                .orElseThrow(() -> new RegistryException(ErrorCode.BLOB_UNKNOWN, ErrorCode.BLOB_UNKNOWN.status(),
                        "blob " + digest + " is not in repository " + repo, digest.toString()));
    }

    /** The local file holding a blob of {@code repo}, fetched from a holder if this node lacks it. */
    public Path openBlob(BlobRecord blob) {
        return replication.ensureLocal(blob);
    }

    public void deleteBlob(String repo, Digest digest) {
        meta.submit(new Command.DeleteBlob(repo, digest.toString()));
    }

    // ---- uploads ----

    public Upload startUpload(String repo) throws IOException {
        return uploads.start(repo);
    }

    /** Cross-repository mount; false when {@code from} does not have the blob (then the client uploads). */
    public boolean mount(String repo, String from, Digest digest) {
        try {
            checkName(from);
            meta.submit(new Command.MountBlob(repo, from, digest.toString(), System.currentTimeMillis()));
            return true;
        } catch (RegistryException e) {
            if (e.code() == ErrorCode.BLOB_UNKNOWN || e.code() == ErrorCode.NAME_INVALID) {
                return false;
            }
            throw e;
        }
    }

    /** A whole blob in one request (POST ?digest=). */
    public StoredBlob putBlob(String repo, Digest digest, long length, InputStream body) throws IOException {
        StoredBlob stored = store.put(Optional.of(digest), length, body);
        return publish(repo, stored, null);
    }

    public Upload uploadStatus(String repo, String id) throws IOException {
        return uploads.find(id).filter(u -> u.repository().equals(repo))
                .orElseThrow(() -> new RegistryException(ErrorCode.BLOB_UPLOAD_UNKNOWN, "no upload session " + id + " for " + repo));
    }

    public long appendChunk(String repo, String id, long start, InputStream body) throws IOException {
        return uploads.append(repo, id, start, body);
    }

    /**
     * Ends an upload. A retried final PUT of a session that already ended (the first answer was
     * lost) gets the same answer, from the outcome recorded in the metadata.
     */
    public StoredBlob finishUpload(String repo, String id, long start, Digest digest, InputStream tail) throws IOException {
        if (uploads.find(id).isEmpty()) {
            Optional<UploadResult> done = meta.read(new Query.GetUpload(id));
            if (done.isPresent() && done.get().repository().equals(repo) && done.get().digest().equals(digest.toString())) {
                return new StoredBlob(digest, done.get().size());
            }
        }
        StoredBlob stored = uploads.finish(repo, id, start, digest, tail);
        return publish(repo, stored, id);
    }

    public void cancelUpload(String repo, String id) throws IOException {
        uploads.cancel(repo, id);
    }

    /** A blob durable here: copy it to a majority, then record it (and its holders) in the metadata. */
    private StoredBlob publish(String repo, StoredBlob stored, String uploadId) {
        List<String> holders = replication.replicateForAck(stored.digest());
        meta.submit(new Command.RecordBlob(repo, stored.digest().toString(), stored.size(), holders, uploadId,
                System.currentTimeMillis()));
        LOG.info("blob {} ({} bytes) pushed to {}, held by {}", stored.digest(), stored.size(), repo, holders);
        return stored;
    }

    // ---- manifests ----

    public ManifestRecord putManifest(String repo, String reference, String contentType, byte[] body) {
        return putManifest(repo, reference, contentType, body, Optional.empty());
    }

    /**
     * With a fence, the manifest is stored only if the fence's token is still its lease's latest
     * grant, checked in the same Raft entry that stores it; else 409 DENIED and nothing changes.
     */
    public ManifestRecord putManifest(String repo, String reference, String contentType, byte[] body, Optional<Fence> fence) {
        if (body.length > MAX_MANIFEST_BYTES) {
            throw new RegistryException(ErrorCode.SIZE_INVALID, 413,
                    "manifest of " + body.length + " bytes exceeds the " + MAX_MANIFEST_BYTES + " byte limit", null);
        }
        ParsedManifest parsed = ParsedManifest.parse(contentType, body);
        Digest digest = Digest.of(body);
        String tag = null;
        if (isDigest(reference)) {
            if (!parseDigest(reference).equals(digest)) {
                throw new RegistryException(ErrorCode.DIGEST_INVALID, ErrorCode.DIGEST_INVALID.status(),
                        "manifest content has digest " + digest + ", not " + reference, reference);
            }
        } else {
            tag = checkTag(reference);
        }
        ManifestRecord record = new ManifestRecord(digest.toString(), parsed.mediaType(), body, parsed.references(),
                parsed.subject(), parsed.artifactType());
        long now = System.currentTimeMillis();
        if (fence.isEmpty()) {
            meta.submit(new Command.PutManifest(repo, tag, record, now));
        } else {
            Fence f = fence.get();
            Outcome outcome = meta.apply(new Command.PutManifestFenced(repo, tag, record, now, f.lease(), f.token()));
            if (!outcome.succeeded() && ErrorCode.DENIED.name().equals(outcome.error())) {
                LOG.warn("manifest {} for {}{} refused: {}", digest, repo, tag == null ? "" : ":" + tag, outcome.message());
                throw new RegistryException(ErrorCode.DENIED, 409, outcome.message(), f.lease());
            }
            outcome.orThrow();
        }
        LOG.info("manifest {} put in {}{}{}", digest, repo, tag == null ? "" : " as " + tag, fence.map(f -> " under " + f).orElse(""));
        return record;
    }

    public ManifestRecord getManifest(String repo, String reference, ReadMode mode) {
        String ref = isDigest(reference) ? parseDigest(reference).toString() : checkTag(reference);
        return meta.read(new Query.GetManifest(repo, ref), mode)
                .orElseThrow(() -> new RegistryException(ErrorCode.MANIFEST_UNKNOWN, ErrorCode.MANIFEST_UNKNOWN.status(),
                        "no manifest " + reference + " in repository " + repo, reference));
    }

    /** Deletes a manifest by digest, or just a tag when given a tag. */
    public void deleteManifest(String repo, String reference) {
        if (isDigest(reference)) {
            meta.submit(new Command.DeleteManifest(repo, parseDigest(reference).toString()));
        } else {
            meta.submit(new Command.DeleteTag(repo, checkTag(reference)));
        }
    }

    public TagPage tags(String repo, int n, String last, ReadMode mode) {
        return meta.read(new Query.ListTags(repo, n, last), mode)
                .orElseThrow(() -> new RegistryException(ErrorCode.NAME_UNKNOWN, "repository " + repo + " is not known"));
    }

    public ReferrerList referrers(String repo, Digest subject, String artifactType) {
        return meta.read(new Query.ListReferrers(repo, subject.toString(), artifactType)).orElseThrow();
    }

    private static boolean isDigest(String reference) {
        return reference.contains(":");
    }

    private static String checkTag(String tag) {
        if (!TAG.matcher(tag).matches()) {
            throw new RegistryException(ErrorCode.MANIFEST_INVALID, "invalid tag '" + tag + "'");
        }
        return tag;
    }
}
