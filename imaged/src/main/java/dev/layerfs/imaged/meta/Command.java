package dev.layerfs.imaged.meta;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import dev.layerfs.imaged.oci.ErrorCode;
import java.util.ArrayList;
import java.util.List;

/**
 * A change to the metadata: one Raft log entry. Each type is a record serialised as JSON with a
 * {@code type} tag; {@link #applyTo} is deterministic, so every replica reaches the same state.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.SIMPLE_NAME, property = "type")
@JsonSubTypes({
        @JsonSubTypes.Type(Command.RegisterNode.class),
        @JsonSubTypes.Type(Command.RecordBlob.class),
        @JsonSubTypes.Type(Command.AddHolders.class),
        @JsonSubTypes.Type(Command.DropHolder.class),
        @JsonSubTypes.Type(Command.MountBlob.class),
        @JsonSubTypes.Type(Command.PutManifest.class),
        @JsonSubTypes.Type(Command.DeleteManifest.class),
        @JsonSubTypes.Type(Command.DeleteTag.class),
        @JsonSubTypes.Type(Command.DeleteBlob.class),
        @JsonSubTypes.Type(Command.RemoveNode.class),
        @JsonSubTypes.Type(Command.MarkLeaving.class),
        @JsonSubTypes.Type(Command.CollectGarbage.class),
        @JsonSubTypes.Type(Command.AcquireLease.class),
        @JsonSubTypes.Type(Command.RenewLease.class),
        @JsonSubTypes.Type(Command.ReleaseLease.class),
        @JsonSubTypes.Type(Command.CheckLease.class),
        @JsonSubTypes.Type(Command.PutManifestFenced.class),
        @JsonSubTypes.Type(Command.CheckFence.class),
        @JsonSubTypes.Type(Command.AdmitNode.class),
        @JsonSubTypes.Type(Command.Batch.class),
})
public sealed interface Command {

    Outcome applyTo(Metadata metadata);

    /** A node announces the HTTP address its peers fetch blobs from. */
    record RegisterNode(String node, String httpAddress) implements Command {
        public Outcome applyTo(Metadata m) {
            return m.registerNode(node, httpAddress);
        }
    }

    /**
     * A blob became durable on {@code holders} and belongs to {@code repository}; when it finished
     * an upload session, {@code uploadId} remembers the outcome.
     */
    record RecordBlob(String repository, String digest, long size, List<String> holders, String uploadId, long at)
            implements Command {
        /** Without a push time: garbage collection treats the blob as pushed long ago. */
        public RecordBlob(String repository, String digest, long size, List<String> holders, String uploadId) {
            this(repository, digest, size, holders, uploadId, 0);
        }

        public Outcome applyTo(Metadata m) {
            return m.recordBlob(repository, digest, size, holders, uploadId, at);
        }
    }

    /** More nodes now hold a blob (background replication, or a node fetched it on demand). */
    record AddHolders(String digest, List<String> holders) implements Command {
        public Outcome applyTo(Metadata m) {
            return m.addHolders(digest, holders);
        }
    }

    /** A node found it no longer has a blob's bytes (lost disk, wiped directory): stop counting it. */
    record DropHolder(String digest, String node) implements Command {
        public Outcome applyTo(Metadata m) {
            return m.dropHolder(digest, node);
        }
    }

    /** Cross-repository mount: link a blob of {@code from} into {@code repository}. */
    record MountBlob(String repository, String from, String digest, long at) implements Command {
        public MountBlob(String repository, String from, String digest) {
            this(repository, from, digest, 0);
        }

        public Outcome applyTo(Metadata m) {
            return m.mountBlob(repository, from, digest, at);
        }
    }

    /** Store a manifest, and point {@code tag} at it when not null. */
    record PutManifest(String repository, String tag, ManifestRecord manifest, long at) implements Command {
        public PutManifest(String repository, String tag, ManifestRecord manifest) {
            this(repository, tag, manifest, 0);
        }

        public Outcome applyTo(Metadata m) {
            return m.putManifest(repository, tag, manifest, at);
        }
    }

    record DeleteManifest(String repository, String digest) implements Command {
        public Outcome applyTo(Metadata m) {
            return m.deleteManifest(repository, digest);
        }
    }

    record DeleteTag(String repository, String tag) implements Command {
        public Outcome applyTo(Metadata m) {
            return m.deleteTag(repository, tag);
        }
    }

    /** Unlink a blob from a repository (its bytes stay for other repositories). */
    record DeleteBlob(String repository, String digest) implements Command {
        public Outcome applyTo(Metadata m) {
            return m.deleteBlob(repository, digest);
        }
    }

    /** A node left the Raft group: forget it (its blobs were re-replicated before). */
    record RemoveNode(String node) implements Command {
        public Outcome applyTo(Metadata m) {
            return m.removeNode(node);
        }
    }

    /** An operator adds {@code node}: were it removed before, it may register again. */
    record AdmitNode(String node) implements Command {
        public Outcome applyTo(Metadata m) {
            return m.admitNode(node);
        }
    }

    /** A node is being removed: copy its blobs elsewhere and send it no new ones (or undo that). */
    record MarkLeaving(String node, boolean leaving) implements Command {
        public Outcome applyTo(Metadata m) {
            return m.markLeaving(node, leaving);
        }
    }

    /**
     * Collect garbage as of {@code now} (the proposer's clock, carried here so every replica
     * decides alike): see {@link Metadata#gcPlan}. The outcome's detail is the GcResult. With a
     * {@code limit} above 0, removes at most that many records (manifests first) and reports how
     * many planned ones remain for the next entry: a large collection is then several entries,
     * none holding up the log for long nor answering with a huge reply.
     */
    record CollectGarbage(long now, long graceMillis, boolean untagged, int limit) implements Command {
        /** All of the plan in one entry. */
        public CollectGarbage(long now, long graceMillis, boolean untagged) {
            this(now, graceMillis, untagged, 0);
        }

        public Outcome applyTo(Metadata m) {
            return m.collectGarbage(now, graceMillis, untagged, limit);
        }
    }

    /** Grant {@code name} to {@code holder} unless someone else holds it unexpired; the token is this entry's index. */
    record AcquireLease(String name, String holder, long ttlMillis, long now) implements Command {
        public Outcome applyTo(Metadata m) {
            return m.acquireLease(name, holder, ttlMillis, now);
        }
    }

    record RenewLease(String name, long token, long ttlMillis, long now) implements Command {
        public Outcome applyTo(Metadata m) {
            return m.renewLease(name, token, ttlMillis, now);
        }
    }

    record ReleaseLease(String name, long token, long now) implements Command {
        public Outcome applyTo(Metadata m) {
            return m.releaseLease(name, token, now);
        }
    }

    /** A fenced action's gate, ordered in the log: refused unless {@code token} is the live grant. */
    record CheckLease(String name, long token, long now) implements Command {
        public Outcome applyTo(Metadata m) {
            return m.checkLease(name, token, now);
        }
    }

    /**
     * {@link PutManifest} made under a lease: checked against the lease and applied in one entry,
     * so no grant can slip in between the check and the write.
     */
    record PutManifestFenced(String repository, String tag, ManifestRecord manifest, long at, String lease, long token)
            implements Command {
        public Outcome applyTo(Metadata m) {
            return m.putManifestFenced(repository, tag, manifest, at, new Fence(lease, token));
        }
    }

    /** Whether a write under {@code token} would pass the fence now (refused once a later grant exists). */
    record CheckFence(String name, long token, long now) implements Command {
        public Outcome applyTo(Metadata m) {
            return m.checkFence(name, token, now);
        }
    }

    /**
     * Several independent commands in one log entry (group commit): applied in order, each exactly
     * as if it were its own entry, so one refused command changes nothing and the others apply.
     * The outcome's detail is the JSON array of their outcomes, in order. Only {@link #groupable}
     * commands may share an entry: a lease grant's token is its entry's index, which must differ
     * from every other grant's; a batch holding another command is refused whole.
     */
    record Batch(List<Command> commands) implements Command {
        public Outcome applyTo(Metadata m) {
            for (Command c : commands) {
                if (!groupable(c)) {
                    return Outcome.refused(ErrorCode.UNSUPPORTED, "a " + c.getClass().getSimpleName()
                            + " cannot share a log entry with other commands", null);
                }
            }
            List<Outcome> outcomes = new ArrayList<>(commands.size());
            for (Command c : commands) {
                outcomes.add(c.applyTo(m));
            }
            return Outcome.answer(Json.text(outcomes));
        }

        /** Commands whose effect does not depend on their entry's index, so several may share one. */
        public static boolean groupable(Command c) {
            return c instanceof PutManifest || c instanceof DeleteTag || c instanceof DeleteManifest
                    || c instanceof RecordBlob || c instanceof MountBlob || c instanceof AddHolders
                    || c instanceof DropHolder || c instanceof DeleteBlob;
        }

        /** The outcomes of a batch's commands, from the batch's outcome. */
        public static List<Outcome> outcomes(Outcome batch) {
            return List.of(Json.read(batch.detail().getBytes(java.nio.charset.StandardCharsets.UTF_8), Outcome[].class));
        }
    }
}
