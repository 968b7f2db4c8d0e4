package dev.layerfs.imaged.meta;

import java.util.Optional;

/**
 * The registry's view of metadata: submit a command (replicated, then applied everywhere) or ask
 * a query. Implemented by the Raft client for real nodes and by {@link InMemoryMetadataService}
 * for tests of the registry logic without a cluster.
 */
public interface MetadataService {

    /** Applies a command durably; throws RegistryException when the model refuses it. */
    void submit(Command command);

    <T> Optional<T> read(Query<T> query, ReadMode mode);

    /** Applies a command durably and returns its outcome, a refusal included (for commands with results). */
    Outcome apply(Command command);

    default <T> Optional<T> read(Query<T> query) {
        return read(query, ReadMode.LINEARIZABLE);
    }
}
