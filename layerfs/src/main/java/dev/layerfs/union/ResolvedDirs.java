package dev.layerfs.union;

import dev.layerfs.sys.Fs;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Directories of the union resolved recently, kept open: a walk from the root through every
 * branch (one open and two whiteout probes per component and branch) is otherwise repeated by
 * every operation on every path. A cached {@link DirView} stays right as long as no directory
 * of the union is made, removed, renamed or copied up, and no branch changes: each of those
 * calls {@link #invalidate()} once it is done. Changes made directly in the branches are not
 * noticed, so the cache is switched off when the mount promises to show them (udba=reval).
 *
 * <p>Views are shared: each holds a count of users, and its descriptors are closed when the
 * last user is done and the cache has let go of it, so an invalidation never pulls a descriptor
 * from under an operation in flight.
 */
final class ResolvedDirs {

    /** How many directories are kept open at most. */
    static final int CAPACITY = 512;
    /** How many descriptors they may hold (one per contributing branch each): many branches mean fewer directories. */
    static final int DESCRIPTORS = 1024;
    /**
     * How many all caches of this process may hold together: a quarter of its open-file limit.
     * A mount host serves many unions from one process, and 50 full caches would otherwise take
     * 51,200 descriptors and leave the unions themselves none (EMFILE).
     */
    static volatile int processDescriptors = Math.max(64, OpenFileLimit.soft() / 4); // tests lower it
    private static final AtomicInteger PROCESS_HELD = new AtomicInteger();

    private final Map<UnionPath, Shared> views = new LinkedHashMap<>(64, 0.75f, true); // least recently used first
    private int descriptors; // guarded by this: held by the views in the map
    private long generation; // guarded by this: bumped by every invalidation
    private volatile boolean enabled; // off until the union switches it on

    /** One resolved directory's levels; closed when its last holder (the cache included) lets go. */
    static final class Shared {
        final int[] branches;
        final int[] fds;
        final int count;
        final int reach;
        private final AtomicInteger holders = new AtomicInteger(1);

        Shared(int[] branches, int[] fds, int count, int reach) {
            this.branches = branches;
            this.fds = fds;
            this.count = count;
            this.reach = reach;
        }

        void release() {
            if (holders.decrementAndGet() == 0) {
                for (int i = 0; i < count; i++) {
                    Fs.close(fds[i]);
                }
            }
        }
    }

    void enabled(boolean on) {
        enabled = on;
        if (!on) {
            invalidate();
        }
    }

    /** The cached view of {@code dir} (the caller closes it), or null. */
    synchronized DirView get(UnionPath dir) {
        Shared s = views.get(dir);
        if (s == null) {
            return null;
        }
        s.holders.incrementAndGet();
        return new DirView(s);
    }

    /** The generation to pass to {@link #offer}: read before resolving. */
    synchronized long generation() {
        return generation;
    }

    /**
     * Offers the freshly resolved {@code view} of {@code dir} (owning its descriptors) to the
     * cache, taken if nothing was invalidated since {@code seen}; returns the view for the caller.
     */
    DirView offer(UnionPath dir, long seen, DirView view) {
        if (enabled) {
            synchronized (this) {
                if (seen == generation && !views.containsKey(dir)) {
                    Shared s = view.share();
                    s.holders.incrementAndGet(); // the caller's
                    views.put(dir, s);
                    held(s.count);
                    var eldest = views.values().iterator();
                    while (eldest.hasNext() && (views.size() > CAPACITY || descriptors > DESCRIPTORS
                            || PROCESS_HELD.get() > processDescriptors)) {
                        Shared old = eldest.next(); // over the process's budget: this cache gives back its own
                        eldest.remove();
                        held(-old.count);
                        old.release();
                    }
                    return new DirView(s);
                }
            }
        }
        return view;
    }

    /**
     * Forgets the cached views of directory {@code dir} and everything below it: it was made,
     * removed, renamed or copied up. A directory's view depends only on its own path's levels
     * (each component's directories, opaque markers and the whiteouts beside them), so no other
     * view changes.
     */
    void invalidate(UnionPath dir) {
        java.util.List<String> prefix = dir.components();
        synchronized (this) {
            generation++; // a walk in flight may have seen the old state: not remembered
            var it = views.entrySet().iterator();
            while (it.hasNext()) {
                var e = it.next();
                java.util.List<String> c = e.getKey().components();
                if (c.size() >= prefix.size() && c.subList(0, prefix.size()).equals(prefix)) {
                    held(-e.getValue().count);
                    e.getValue().release();
                    it.remove();
                }
            }
        }
    }

    /** Forgets every cached view: the union's directories changed. */
    void invalidate() {
        synchronized (this) {
            generation++;
            if (views.isEmpty()) {
                return;
            }
            for (Shared s : views.values()) {
                held(-s.count);
                s.release();
            }
            views.clear();
        }
    }

    /** Counts descriptors taken (positive) or given back (negative) by this cache; caller holds this. */
    private void held(int delta) {
        descriptors += delta;
        PROCESS_HELD.addAndGet(delta);
    }

    /** Descriptors held by every cache of this process. */
    static int processHeld() {
        return PROCESS_HELD.get();
    }

    synchronized int size() {
        return views.size();
    }
}
