package dev.layerfs.imaged.meta;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
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
    record RecordBlob(String repository, String digest, long size, List<String> holders, String uploadId) implements Command {
        public Outcome applyTo(Metadata m) {
            return m.recordBlob(repository, digest, size, holders, uploadId);
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
    record MountBlob(String repository, String from, String digest) implements Command {
        public Outcome applyTo(Metadata m) {
            return m.mountBlob(repository, from, digest);
        }
    }

    /** Store a manifest, and point {@code tag} at it when not null. */
    record PutManifest(String repository, String tag, ManifestRecord manifest) implements Command {
        public Outcome applyTo(Metadata m) {
            return m.putManifest(repository, tag, manifest);
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
}
