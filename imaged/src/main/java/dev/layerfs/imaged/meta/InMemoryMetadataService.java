package dev.layerfs.imaged.meta;

import java.util.Optional;

/**
 * A single-process MetadataService over one {@link Metadata}. Commands and answers take the same
 * JSON round trip they take through Raft, so tests exercise the wire form too.
 */
public final class InMemoryMetadataService implements MetadataService {

    private final Metadata metadata = new Metadata();

    private long index;

    @Override
    public synchronized void submit(Command command) {
        apply(command).orThrow();
    }

    @Override
    public synchronized Outcome apply(Command command) {
        Command copy = Json.read(Json.write(command), Command.class);
        metadata.applying(++index);
        return Json.read(Json.write(copy.applyTo(metadata)), Outcome.class);
    }

    @Override
    public synchronized <T> Optional<T> read(Query<T> query, ReadMode mode) {
        Query<?> copy = Json.read(Json.write(query), Query.class);
        Object answer = copy.answer(metadata);
        return answer == null ? Optional.empty()
                : Optional.of(Json.read(Json.write(answer), query.answerType()));
    }
}
