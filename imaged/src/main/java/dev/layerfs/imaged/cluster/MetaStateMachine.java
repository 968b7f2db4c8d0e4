package dev.layerfs.imaged.cluster;

import dev.layerfs.imaged.meta.Command;
import dev.layerfs.imaged.meta.Json;
import dev.layerfs.imaged.meta.Metadata;
import dev.layerfs.imaged.meta.Outcome;
import dev.layerfs.imaged.meta.Query;
import dev.layerfs.imaged.oci.ErrorCode;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.apache.ratis.io.MD5Hash;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.storage.FileInfo;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.StateMachineStorage;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.statemachine.impl.SimpleStateMachineStorage;
import org.apache.ratis.statemachine.impl.SingleFileSnapshotInfo;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.util.LifeCycle;
import org.apache.ratis.util.MD5FileUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Raft state machine: a thin dispatcher that decodes each log entry into a {@link Command}
 * and applies it to the plain {@link Metadata} model, answers {@link Query}s from it, and writes
 * and loads snapshots of it (one JSON file per snapshot, through SimpleStateMachineStorage, which
 * keeps the configured number of them).
 */
public final class MetaStateMachine extends BaseStateMachine {

    private static final Logger LOG = LoggerFactory.getLogger(MetaStateMachine.class);

    private final SimpleStateMachineStorage storage = new SimpleStateMachineStorage();
    private final Metadata metadata = new Metadata();
    /** Applies and snapshot loads write; queries and snapshot writes read. */
    private final ReadWriteLock lock = new ReentrantReadWriteLock();

    @Override
    public void initialize(RaftServer server, RaftGroupId groupId, RaftStorage raftStorage) throws IOException {
        getLifeCycle().startAndTransition(() -> {
            super.initialize(server, groupId, raftStorage);
            storage.init(raftStorage);
            load(storage.loadLatestSnapshot(), "restored snapshot at startup");
        });
    }

    /**
     * Called before a snapshot from the leader replaces our snapshot files. Ratis checks that the
     * state machine reports PAUSED before it calls {@link #reinitialize}.
     */
    @Override
    public void pause() {
        if (getLifeCycle().getCurrentState() == LifeCycle.State.RUNNING) {
            LOG.info("{}: pausing for a snapshot install", getId());
            getLifeCycle().transition(LifeCycle.State.PAUSING);
            getLifeCycle().transition(LifeCycle.State.PAUSED);
        }
    }

    /** Called after a snapshot from the leader was installed: the latest snapshot file is now the leader's. */
    @Override
    public void reinitialize() throws IOException {
        load(storage.loadLatestSnapshot(), "installed snapshot from the leader");
        if (getLifeCycle().getCurrentState() == LifeCycle.State.PAUSED) {
            getLifeCycle().transition(LifeCycle.State.STARTING);
            getLifeCycle().transition(LifeCycle.State.RUNNING);
        }
    }

    @Override
    public StateMachineStorage getStateMachineStorage() {
        return storage;
    }

    @Override
    public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
        LogEntryProto entry = trx.getLogEntry();
        byte[] data = entry.getStateMachineLogEntry().getLogData().toByteArray();
        Outcome outcome;
        lock.writeLock().lock();
        try {
            applying(entry.getIndex());
            outcome = decodeAndApply(data);
            updateLastAppliedTermIndex(entry.getTerm(), entry.getIndex());
        } finally {
            lock.writeLock().unlock();
        }
        if (!outcome.succeeded()) {
            LOG.debug("entry {} refused: {} {}", entry.getIndex(), outcome.error(), outcome.message());
        }
        return CompletableFuture.completedFuture(Message.valueOf(ByteString.copyFrom(Json.write(outcome))));
    }

    private Outcome decodeAndApply(byte[] data) {
        Command command;
        try {
            command = Json.read(data, Command.class);
        } catch (RuntimeException e) {
            // Deterministic on every replica: an entry we cannot decode changes nothing.
            LOG.error("undecodable log entry ({} bytes): {}", data.length, e.toString());
            return Outcome.refused(ErrorCode.UNSUPPORTED, "undecodable metadata command: " + e.getMessage(), null);
        }
        return command.applyTo(metadata);
    }

    /** The index of the entry being applied, handed to the model before it applies it. */
    private void applying(long index) {
        metadata.applying(index);
    }

    @Override
    public CompletableFuture<Message> query(Message request) {
        try {
            Query<?> query = Json.read(request.getContent().toByteArray(), Query.class);
            Object answer;
            lock.readLock().lock();
            try {
                answer = query.answer(metadata);
            } finally {
                lock.readLock().unlock();
            }
            return CompletableFuture.completedFuture(Message.valueOf(ByteString.copyFrom(Json.write(answer))));
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public long takeSnapshot() throws IOException {
        lock.readLock().lock();
        try {
            TermIndex last = getLastAppliedTermIndex();
            if (last == null || last.getIndex() < 0) {
                return -1;
            }
            File target = storage.getSnapshotFile(last.getTerm(), last.getIndex());
            Path temp = target.toPath().resolveSibling(target.getName() + ".tmp");
            try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                OutputStream out = new BufferedOutputStream(java.nio.channels.Channels.newOutputStream(ch));
                metadata.writeSnapshot(out);
                out.flush();
                ch.force(true);
                Files.move(temp, target.toPath(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(temp);
            }
            MD5Hash md5 = MD5FileUtil.computeAndSaveMd5ForFile(target);
            storage.updateLatestSnapshot(new SingleFileSnapshotInfo(new FileInfo(target.toPath(), md5), last));
            LOG.info("{}: snapshot taken at index {} ({} bytes)", getId(), last.getIndex(), Files.size(target.toPath()));
            return last.getIndex();
        } finally {
            lock.readLock().unlock();
        }
    }

    private void load(SingleFileSnapshotInfo snapshot, String why) throws IOException {
        if (snapshot == null) {
            LOG.info("{}: no snapshot, starting from an empty model", getId());
            return;
        }
        Path file = snapshot.getFile().getPath();
        if (!Files.exists(file)) {
            throw new IOException("snapshot file " + file + " is missing for " + snapshot);
        }
        if (snapshot.getFile().getFileDigest() != null) {
            MD5FileUtil.verifySavedMD5(file.toFile(), snapshot.getFile().getFileDigest());
        }
        TermIndex last = SimpleStateMachineStorage.getTermIndexFromSnapshotFile(file.toFile());
        lock.writeLock().lock();
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file))) {
            metadata.readSnapshot(in);
            setLastAppliedTermIndex(last);
        } finally {
            lock.writeLock().unlock();
        }
        LOG.info("{}: {} at index {} ({})", getId(), why, last.getIndex(), file.getFileName());
    }
}
