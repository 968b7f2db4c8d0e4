package dev.layerfs.union;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * One lock per union path, taken while a name changes branch (copy-up, whiteout, rename,
 * remove), so two copy-ups of one file never interleave and a removal never races a copy-up
 * into resurrecting a name. Locks exist only while someone holds or waits for them.
 * Ordering rule: at most two name locks, taken in path order; a directory copy-up takes its own
 * lock alone and takes nothing else while holding it, so no cycle can form.
 *
 * <p>Every name lock also holds the shared side of one union-wide tree lock; a rename that moves
 * a whole directory tree between branches ({@link DirectoryRename}) takes its exclusive side
 * first, so no name under the tree changes while the tree is copied.
 */
public final class PathLocks {

    private static final class Slot {
        final ReentrantLock lock = new ReentrantLock();
        int users;
    }

    /** A held lock; closing releases it. */
    public interface Held extends AutoCloseable {
        @Override
        void close();
    }

    private final ConcurrentHashMap<String, Slot> slots = new ConcurrentHashMap<>();
    private final ReentrantReadWriteLock tree = new ReentrantReadWriteLock();

    /** Excludes every name lock of the union until closed; take it before any name lock. */
    public Held lockTree() {
        tree.writeLock().lock();
        return tree.writeLock()::unlock;
    }

    public Held lock(UnionPath path) {
        tree.readLock().lock();
        String key = path.toString();
        Slot slot = slots.compute(key, (k, s) -> {
            Slot v = s != null ? s : new Slot();
            v.users++;
            return v;
        });
        slot.lock.lock();
        return () -> {
            slot.lock.unlock();
            slots.compute(key, (k, s) -> --s.users == 0 ? null : s);
            tree.readLock().unlock();
        };
    }

    /** Locks two paths in a fixed order (once if they are the same). */
    public Held lock(UnionPath a, UnionPath b) {
        String ka = a.toString();
        String kb = b.toString();
        if (ka.equals(kb)) {
            return lock(a);
        }
        Held first = lock(ka.compareTo(kb) < 0 ? a : b);
        Held second = lock(ka.compareTo(kb) < 0 ? b : a);
        return () -> {
            second.close();
            first.close();
        };
    }
}
