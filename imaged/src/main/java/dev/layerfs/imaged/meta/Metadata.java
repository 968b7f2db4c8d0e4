package dev.layerfs.imaged.meta;

import dev.layerfs.imaged.meta.Answers.BlobList;
import dev.layerfs.imaged.meta.Answers.GcResult;
import dev.layerfs.imaged.meta.Answers.NodeList;
import dev.layerfs.imaged.meta.Answers.Referrer;
import dev.layerfs.imaged.meta.Answers.ReferrerList;
import dev.layerfs.imaged.meta.Answers.Status;
import dev.layerfs.imaged.meta.Answers.TagPage;
import dev.layerfs.imaged.meta.Answers.UploadResult;
import dev.layerfs.imaged.oci.ErrorCode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The registry's metadata as a plain, deterministic in-memory model: repositories (tags,
 * manifests, linked blobs), blob records with their holders, the node registry, and the outcomes
 * of recent uploads. Commands change it ({@link Command#applyTo}); queries read it. It knows
 * nothing of Raft; callers serialise access (the state machine applies one entry at a time).
 */
public final class Metadata {

    /** Upload outcomes remembered for idempotent retries; older ones are forgotten in order. */
    static final int REMEMBERED_UPLOADS = 10_000;

    private final TreeMap<String, Repository> repositories = new TreeMap<>();
    private final TreeMap<String, BlobRecord> blobs = new TreeMap<>();
    private final TreeMap<String, NodeRecord> nodes = new TreeMap<>();
    private final LinkedHashMap<String, UploadResult> uploads = new LinkedHashMap<>();
    /** When each blob and manifest was last pushed or mounted (proposer's clock): GC's grace rule. */
    private final TreeMap<String, Long> touched = new TreeMap<>();
    private final Leases leases = new Leases();
    /** Nodes being removed: they get no new blob copies while their blobs are copied elsewhere. */
    private final TreeSet<String> leaving = new TreeSet<>();
    /**
     * Nodes removed from the cluster. A removed node that was down when it was removed still
     * believes it is a member when it comes back: it must not register again nor be counted as a
     * holder, until an operator adds it again ({@code cluster add}).
     */
    private final TreeSet<String> removed = new TreeSet<>();
    /** The log index of the entry being applied (set by the state machine): fencing tokens. */
    private long applyingIndex;

    /** One repository's state; also its snapshot form. */
    record Repository(TreeMap<String, String> tags, TreeMap<String, ManifestRecord> manifests, TreeSet<String> blobs) {
        Repository() {
            this(new TreeMap<>(), new TreeMap<>(), new TreeSet<>());
        }

        @com.fasterxml.jackson.annotation.JsonIgnore
        boolean isEmpty() {
            return tags.isEmpty() && manifests.isEmpty() && blobs.isEmpty();
        }
    }

    /** The whole model as written to a snapshot. */
    record Image(Map<String, Repository> repositories, Map<String, BlobRecord> blobs,
                 Map<String, NodeRecord> nodes, List<UploadResult> uploads,
                 Map<String, Long> touched, Map<String, Lease> leases, long clock, java.util.Set<String> leaving,
                 java.util.Set<String> removed) {
    }

    /** Called by the state machine before each apply: the index of the entry about to change us. */
    public void applying(long index) {
        applyingIndex = index;
    }

    // ---- changes (called by commands) ----

    Outcome registerNode(String id, String httpAddress) {
        if (removed.contains(id)) {
            return refusedRemoved(id);
        }
        nodes.put(id, new NodeRecord(id, httpAddress));
        return Outcome.ok();
    }

    /** An operator adds a node (again): a node removed earlier may register once more. */
    Outcome admitNode(String id) {
        removed.remove(id);
        return Outcome.ok();
    }

    private static Outcome refusedRemoved(String id) {
        return Outcome.refused(ErrorCode.DENIED, "node " + id + " was removed from the cluster; to bring it back, start it"
                + " with an empty data directory and --join, then run imaged cluster add", id);
    }

    Outcome recordBlob(String repository, String digest, long size, List<String> holders, String uploadId, long at) {
        for (String holder : holders) {
            if (removed.contains(holder)) {
                // A push through a removed node: its copy counts for nothing, so the push is not durable.
                return refusedRemoved(holder);
            }
        }
        BlobRecord existing = blobs.get(digest);
        if (existing != null && existing.size() != size) {
            return Outcome.refused(ErrorCode.SIZE_INVALID,
                    "blob " + digest + " is recorded with " + existing.size() + " bytes, not " + size, digest);
        }
        addHolders(digest, size, holders);
        touch(digest, at);
        repositories.computeIfAbsent(repository, r -> new Repository()).blobs().add(digest);
        if (uploadId != null) {
            uploads.put(uploadId, new UploadResult(uploadId, repository, digest, size));
            trimUploads();
        }
        return Outcome.ok();
    }

    Outcome addHolders(String digest, List<String> holders) {
        BlobRecord existing = blobs.get(digest);
        if (existing == null) {
            return Outcome.refused(ErrorCode.BLOB_UNKNOWN, "no blob " + digest, digest);
        }
        addHolders(digest, existing.size(), holders.stream().filter(h -> !removed.contains(h)).toList());
        return Outcome.ok();
    }

    Outcome dropHolder(String digest, String node) {
        BlobRecord existing = blobs.get(digest);
        if (existing != null && existing.holders().contains(node)) {
            List<String> rest = new ArrayList<>(existing.holders());
            rest.remove(node);
            blobs.put(digest, new BlobRecord(digest, existing.size(), rest));
        }
        return Outcome.ok();
    }

    Outcome mountBlob(String repository, String from, String digest, long at) {
        Repository source = repositories.get(from);
        if (source == null || !source.blobs().contains(digest)) {
            return Outcome.refused(ErrorCode.BLOB_UNKNOWN, "blob " + digest + " is not in repository " + from, digest);
        }
        repositories.computeIfAbsent(repository, r -> new Repository()).blobs().add(digest);
        touch(digest, at);
        return Outcome.ok();
    }

    Outcome putManifest(String repository, String tag, ManifestRecord manifest, long at) {
        Repository repo = repositories.get(repository);
        for (String ref : manifest.references()) {
            boolean present = repo != null && (repo.blobs().contains(ref) || repo.manifests().containsKey(ref));
            if (!present) {
                return Outcome.refused(ErrorCode.MANIFEST_BLOB_UNKNOWN,
                        "manifest " + manifest.digest() + " references " + ref + ", which is not in repository " + repository, ref);
            }
        }
        repo = repositories.computeIfAbsent(repository, r -> new Repository());
        repo.manifests().put(manifest.digest(), manifest);
        touch(manifest.digest(), at);
        if (tag != null) {
            repo.tags().put(tag, manifest.digest());
        }
        return Outcome.ok();
    }

    Outcome deleteManifest(String repository, String digest) {
        Repository repo = repositories.get(repository);
        if (repo == null || repo.manifests().remove(digest) == null) {
            return Outcome.refused(ErrorCode.MANIFEST_UNKNOWN, "no manifest " + digest + " in repository " + repository, digest);
        }
        repo.tags().values().removeIf(digest::equals);
        dropIfEmpty(repository, repo);
        return Outcome.ok();
    }

    Outcome deleteTag(String repository, String tag) {
        Repository repo = repositories.get(repository);
        if (repo == null || repo.tags().remove(tag) == null) {
            return Outcome.refused(ErrorCode.MANIFEST_UNKNOWN, "no tag " + tag + " in repository " + repository, tag);
        }
        dropIfEmpty(repository, repo);
        return Outcome.ok();
    }

    Outcome deleteBlob(String repository, String digest) {
        Repository repo = repositories.get(repository);
        if (repo == null || !repo.blobs().remove(digest)) {
            return Outcome.refused(ErrorCode.BLOB_UNKNOWN, "no blob " + digest + " in repository " + repository, digest);
        }
        dropIfEmpty(repository, repo);
        return Outcome.ok();
    }

    /** A node left the cluster: forget its address and stop counting it as a holder of anything. */
    Outcome removeNode(String id) {
        nodes.remove(id);
        leaving.remove(id);
        removed.add(id);
        for (BlobRecord b : List.copyOf(blobs.values())) {
            if (b.holders().contains(id)) {
                dropHolder(b.digest(), id);
            }
        }
        return Outcome.ok();
    }

    /** Marks a node as leaving (or no longer leaving, when a removal is abandoned). */
    Outcome markLeaving(String id, boolean isLeaving) {
        if (isLeaving) {
            leaving.add(id);
        } else {
            leaving.remove(id);
        }
        return Outcome.ok();
    }

    /**
     * Garbage collection, decided here so every replica agrees: see {@link #gcPlan}. Removes the
     * planned manifests and blob records; each node then deletes the files the metadata no longer
     * knows (after the grace period, on its own clock), so disk space is freed everywhere.
     */
    Outcome collectGarbage(long now, long graceMillis, boolean untagged, int limit) {
        GcResult plan = gcPlan(now, graceMillis, untagged);
        if (limit > 0 && plan.manifests().size() + plan.blobs().size() > limit) {
            plan = firstOf(plan, limit);
        }
        for (GcResult.Item m : plan.manifests()) {
            Repository repo = repositories.get(m.repository());
            repo.manifests().remove(m.digest());
            touched.remove(m.digest());
        }
        for (GcResult.Item b : plan.blobs()) {
            blobs.remove(b.digest());
            touched.remove(b.digest());
            for (Repository repo : repositories.values()) {
                repo.blobs().remove(b.digest());
            }
        }
        repositories.entrySet().removeIf(e -> e.getValue().isEmpty());
        return Outcome.answer(Json.text(plan));
    }

    /**
     * The first {@code limit} records of a plan, manifests first. Blobs come only once every planned
     * manifest fits: a blob is in the plan because no kept manifest references it, but a planned
     * manifest still standing might, and no manifest may be left naming a blob already gone.
     */
    private static GcResult firstOf(GcResult plan, int limit) {
        List<GcResult.Item> manifests = plan.manifests().subList(0, Math.min(limit, plan.manifests().size()));
        List<GcResult.Item> blobs = manifests.size() < plan.manifests().size() ? List.of()
                : plan.blobs().subList(0, Math.min(limit - manifests.size(), plan.blobs().size()));
        long bytes = blobs.stream().mapToLong(GcResult.Item::size).sum();
        long remaining = plan.manifests().size() + plan.blobs().size() - manifests.size() - blobs.size();
        return new GcResult(plan.at(), plan.graceMillis(), List.copyOf(manifests), List.copyOf(blobs), bytes, remaining);
    }

    Outcome acquireLease(String name, String holder, long ttlMillis, long now) {
        return leases.acquire(name, holder, ttlMillis, now, applyingIndex);
    }

    Outcome renewLease(String name, long token, long ttlMillis, long now) {
        return leases.renew(name, token, ttlMillis, now);
    }

    Outcome releaseLease(String name, long token, long now) {
        return leases.release(name, token, now);
    }

    Outcome checkLease(String name, long token, long now) {
        return leases.check(name, token, now);
    }

    Outcome checkFence(String name, long token, long now) {
        return leases.fence(name, token, now);
    }

    Outcome putManifestFenced(String repository, String tag, ManifestRecord manifest, long at, Fence fence) {
        Outcome gate = leases.fence(fence.lease(), fence.token(), at);
        return gate.succeeded() ? putManifest(repository, tag, manifest, at) : gate;
    }

    // ---- reads ----

    /**
     * What a garbage collection at {@code now} would remove. Kept: every tagged manifest, every
     * manifest an index or a kept manifest's referrer points at, (all manifests unless
     * {@code untagged}), and every blob a kept manifest references. Anything pushed or mounted
     * within {@code graceMillis} of {@code now} is kept too, so an image being pushed (blobs
     * first, manifest last) is never collected half-way.
     */
    public GcResult gcPlan(long now, long graceMillis, boolean untagged) {
        long cutoff = now - graceMillis;
        List<GcResult.Item> goneManifests = new ArrayList<>();
        TreeSet<String> referenced = new TreeSet<>();
        for (Map.Entry<String, Repository> e : repositories.entrySet()) {
            Repository repo = e.getValue();
            Map<String, List<String>> referrersOf = new TreeMap<>();
            for (ManifestRecord m : repo.manifests().values()) {
                if (m.subject() != null) {
                    referrersOf.computeIfAbsent(m.subject(), k -> new ArrayList<>()).add(m.digest());
                }
            }
            TreeSet<String> kept = new TreeSet<>();
            java.util.ArrayDeque<String> todo = new java.util.ArrayDeque<>();
            for (Map.Entry<String, ManifestRecord> m : repo.manifests().entrySet()) {
                boolean fresh = touched.getOrDefault(m.getKey(), 0L) > cutoff;
                if (!untagged || fresh || repo.tags().containsValue(m.getKey())) {
                    todo.add(m.getKey());
                }
            }
            while (!todo.isEmpty()) {
                String d = todo.poll();
                if (!kept.add(d)) {
                    continue;
                }
                for (String ref : repo.manifests().get(d).references()) {
                    if (repo.manifests().containsKey(ref)) {
                        todo.add(ref);
                    }
                }
                todo.addAll(referrersOf.getOrDefault(d, List.of()));
            }
            for (ManifestRecord m : repo.manifests().values()) {
                if (kept.contains(m.digest())) {
                    referenced.addAll(m.references());
                } else {
                    goneManifests.add(new GcResult.Item(e.getKey(), m.digest(), m.content().length));
                }
            }
        }
        List<GcResult.Item> goneBlobs = new ArrayList<>();
        long bytes = 0;
        for (BlobRecord b : blobs.values()) {
            if (!referenced.contains(b.digest()) && touched.getOrDefault(b.digest(), 0L) <= cutoff) {
                goneBlobs.add(new GcResult.Item(null, b.digest(), b.size()));
                bytes += b.size();
            }
        }
        return new GcResult(now, graceMillis, goneManifests, goneBlobs, bytes);
    }

    /** Which of {@code digests} the metadata still records as blobs. */
    public List<String> knownBlobs(List<String> digests) {
        return digests.stream().filter(blobs::containsKey).toList();
    }

    /** Blobs with fewer than {@code factor} holders once {@code unavailable} nodes are not counted. */
    /** As {@link #underReplicated(int, int)}, not counting {@code unavailable} holders, in digest order after {@code after} (null: all). */
    public BlobList underReplicated(int factor, java.util.Collection<String> unavailable, String after, int limit) {
        List<BlobRecord> found = new ArrayList<>();
        for (BlobRecord b : (after == null ? blobs : blobs.tailMap(after, false)).values()) {
            if (found.size() >= limit) {
                break;
            }
            if (b.holders().stream().filter(h -> !unavailable.contains(h)).count() < factor) {
                found.add(b);
            }
        }
        return new BlobList(found);
    }

    public List<String> leavingNodes() {
        return List.copyOf(leaving);
    }

    public Optional<Lease> lease(String name) {
        return leases.get(name);
    }

    /** Repositories, their tags and what each tag's manifest references, with replica counts. */
    public Answers.Overview overview(int maxRepositories, int maxTags) {
        List<Answers.RepositoryView> repos = new ArrayList<>();
        for (Map.Entry<String, Repository> e : repositories.entrySet()) {
            if (repos.size() >= maxRepositories) {
                break;
            }
            List<Answers.TagView> tags = new ArrayList<>();
            for (Map.Entry<String, String> t : e.getValue().tags().entrySet()) {
                if (tags.size() >= maxTags) {
                    break;
                }
                ManifestRecord m = e.getValue().manifests().get(t.getValue());
                List<BlobRecord> refs = new ArrayList<>();
                if (m != null) {
                    for (String ref : m.references()) {
                        BlobRecord b = blobs.get(ref);
                        if (b != null) {
                            refs.add(b);
                        }
                    }
                }
                tags.add(new Answers.TagView(t.getKey(), t.getValue(), refs));
            }
            repos.add(new Answers.RepositoryView(e.getKey(), e.getValue().tags().size(), e.getValue().manifests().size(), tags));
        }
        long bytes = 0;
        for (BlobRecord b : blobs.values()) {
            bytes += b.size();
        }
        TreeMap<String, Integer> perNode = new TreeMap<>();
        for (BlobRecord b : blobs.values()) {
            for (String h : b.holders()) {
                perNode.merge(h, 1, Integer::sum);
            }
        }
        return new Answers.Overview(repos, blobs.size(), bytes, perNode, List.copyOf(leases.all().values()), leases.clock());
    }

    /** A manifest by tag or by digest. */
    public Optional<ManifestRecord> manifest(String repository, String reference) {
        Repository repo = repositories.get(repository);
        if (repo == null) {
            return Optional.empty();
        }
        String digest = reference.contains(":") ? reference : repo.tags().get(reference);
        return Optional.ofNullable(digest == null ? null : repo.manifests().get(digest));
    }

    /** A blob as seen from a repository: present only when linked there. */
    public Optional<BlobRecord> blob(String repository, String digest) {
        Repository repo = repositories.get(repository);
        return repo != null && repo.blobs().contains(digest) ? Optional.ofNullable(blobs.get(digest)) : Optional.empty();
    }

    public Optional<BlobRecord> blob(String digest) {
        return Optional.ofNullable(blobs.get(digest));
    }

    /** Tags after {@code last} (exclusive, when given), at most {@code n} (all when negative). */
    public Optional<TagPage> tags(String repository, int n, String last) {
        Repository repo = repositories.get(repository);
        if (repo == null) {
            return Optional.empty();
        }
        Iterator<String> it = (last == null ? repo.tags().navigableKeySet() : repo.tags().navigableKeySet().tailSet(last, false)).iterator();
        List<String> page = new ArrayList<>();
        while (it.hasNext() && (n < 0 || page.size() < n)) {
            page.add(it.next());
        }
        return Optional.of(new TagPage(repository, page, it.hasNext()));
    }

    public ReferrerList referrers(String repository, String subject, String artifactType) {
        Repository repo = repositories.get(repository);
        List<Referrer> found = new ArrayList<>();
        if (repo != null) {
            for (ManifestRecord m : repo.manifests().values()) {
                if (subject.equals(m.subject()) && (artifactType == null || artifactType.equals(m.artifactType()))) {
                    found.add(new Referrer(m.mediaType(), m.digest(), m.content().length, m.artifactType(), m.annotations()));
                }
            }
        }
        return new ReferrerList(found);
    }

    public NodeList nodes() {
        return new NodeList(List.copyOf(nodes.values()));
    }

    /** Blobs held by fewer than {@code factor} nodes, at most {@code limit}, in digest order. */
    public BlobList underReplicated(int factor, int limit) {
        List<BlobRecord> found = new ArrayList<>();
        for (BlobRecord b : blobs.values()) {
            if (found.size() >= limit) {
                break;
            }
            if (b.holders().size() < factor) {
                found.add(b);
            }
        }
        return new BlobList(found);
    }

    /** Blobs recorded as held by {@code node}, in digest order after {@code after} (exclusive, when given). */
    public BlobList heldBy(String node, String after, int limit) {
        List<BlobRecord> found = new ArrayList<>();
        for (BlobRecord b : (after == null ? blobs : blobs.tailMap(after, false)).values()) {
            if (found.size() >= limit) {
                break;
            }
            if (b.holders().contains(node)) {
                found.add(b);
            }
        }
        return new BlobList(found);
    }

    public Optional<UploadResult> upload(String id) {
        return Optional.ofNullable(uploads.get(id));
    }

    public Status status() {
        int manifests = 0;
        int tags = 0;
        for (Repository r : repositories.values()) {
            manifests += r.manifests().size();
            tags += r.tags().size();
        }
        return new Status(repositories.size(), blobs.size(), manifests, tags, nodes.size());
    }

    // ---- snapshots ----

    /** Writes the whole model as JSON; the stream is flushed but left open for the caller to fsync. */
    public void writeSnapshot(OutputStream out) throws IOException {
        Json.MAPPER.writer().without(com.fasterxml.jackson.core.JsonGenerator.Feature.AUTO_CLOSE_TARGET)
                .writeValue(out, new Image(repositories, blobs, nodes, List.copyOf(uploads.values()),
                        touched, leases.all(), leases.clock(), leaving, removed));
        out.flush();
    }

    /** Replaces this model's whole state with a snapshot's. */
    public void readSnapshot(InputStream in) throws IOException {
        Image image = Json.MAPPER.readValue(in, Image.class);
        clear();
        image.repositories().forEach((name, r) -> repositories.put(name,
                new Repository(new TreeMap<>(r.tags()), new TreeMap<>(r.manifests()), new TreeSet<>(r.blobs()))));
        blobs.putAll(image.blobs());
        nodes.putAll(image.nodes());
        image.uploads().forEach(u -> uploads.put(u.id(), u));
        if (image.touched() != null) {
            touched.putAll(image.touched());
        }
        leases.restore(image.leases(), image.clock());
        if (image.leaving() != null) {
            leaving.addAll(image.leaving());
        }
        if (image.removed() != null) {
            removed.addAll(image.removed());
        }
    }

    public void clear() {
        repositories.clear();
        blobs.clear();
        nodes.clear();
        uploads.clear();
        touched.clear();
        leases.restore(null, 0);
        leaving.clear();
        removed.clear();
    }

    private void addHolders(String digest, long size, List<String> holders) {
        TreeSet<String> all = new TreeSet<>(holders);
        BlobRecord existing = blobs.get(digest);
        if (existing != null) {
            all.addAll(existing.holders());
        }
        blobs.put(digest, new BlobRecord(digest, size, List.copyOf(all)));
    }

    private void touch(String digest, long at) {
        touched.merge(digest, at, Math::max);
    }

    private void dropIfEmpty(String name, Repository repo) {
        if (repo.isEmpty()) {
            repositories.remove(name);
        }
    }

    private void trimUploads() {
        Iterator<String> oldest = uploads.keySet().iterator();
        while (uploads.size() > REMEMBERED_UPLOADS && oldest.hasNext()) {
            oldest.next();
            oldest.remove();
        }
    }
}
