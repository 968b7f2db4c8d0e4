package dev.layerfs.wire;

import dev.layerfs.sys.Errno;
import dev.layerfs.sys.ErrnoException;
import dev.layerfs.sys.Stat;
import dev.layerfs.union.UnionFs;
import dev.layerfs.union.UnionPath;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Open directories and the listings they hand out. A handle read from offset 0 takes a new
 * merged {@link Listing} of the union directory (where the directory is now: it may have been
 * renamed since it was opened); a read from any other offset continues the listing that offset
 * came from, so a listing read in several requests is one snapshot. That listing is usually the
 * handle's own, but a reader that began in the kernel's listing cache continues from the server
 * when that cache is dropped under it, with an offset of the listing that filled the cache:
 * the latest listings are therefore kept a while beyond their handles.
 */
final class OpenDirs {

    private static final Logger LOG = LoggerFactory.getLogger(OpenDirs.class);

    /** The inode number libfuse reports when it has none (for "." and ".."). */
    static final long UNKNOWN_INO = 0xffffffffL;
    /** Listings kept after their handle moved on: at most this many, and ... */
    private static final int RECENT_LISTINGS = 64;
    /** ... at most this many entries in all (the newest listing is always kept). */
    private static final int RECENT_ENTRIES = 100_000;

    private static final class Dir {
        volatile Listing listing;
    }

    private final UnionFs union;
    private final ConcurrentHashMap<Long, Dir> dirs = new ConcurrentHashMap<>();
    private final LinkedHashMap<Integer, Listing> recent = new LinkedHashMap<>();
    private int recentEntries;
    private final AtomicInteger nextSerial = new AtomicInteger(1);
    private final AtomicLong stackChanges = new AtomicLong();

    OpenDirs(UnionFs union) {
        this.union = union;
    }

    /** Directory {@code handle} (the union's, which keeps its branches busy while open) is open. */
    void open(long handle) {
        dirs.put(handle, new Dir());
    }

    /** The branch stack changed: listings taken until now show the old one. */
    void branchesChanged() {
        stackChanges.incrementAndGet();
    }

    /**
     * The listing a read of {@code handle} (of directory {@code node}, now at {@code path}) at
     * {@code offset} continues (see {@link Listing#indexOf}).
     */
    Listing listing(long handle, long node, long offset, UnionPath path) throws ErrnoException {
        Dir d = dir(handle);
        if (offset != 0) {
            int serial = Listing.serialOf(offset);
            Listing own = d.listing;
            Listing from = own != null && own.serial() == serial ? own : recent(serial);
            if (from != null && from.node() == node) {
                d.listing = from;
                return from;
            }
            // only after many other listings were taken between two reads of this one
            LOG.debug("listing {} of {} is no longer kept: continuing a new one at entry {}",
                    serial, path, Listing.indexOf(offset));
        }
        Listing fresh = take(node, path);
        d.listing = fresh;
        return fresh;
    }

    /**
     * Closes {@code handle}; true if what it listed predates the latest branch change. The
     * kernel may then have cached that listing after the change invalidated the directory (a
     * reply sent before the change, parsed by the kernel after): the caller drops it again,
     * now that the kernel is done with the handle.
     */
    boolean release(long handle) {
        Dir d = dirs.remove(handle);
        Listing l = d == null ? null : d.listing;
        return l != null && l.stackChange() != stackChanges.get();
    }

    private Listing take(long node, UnionPath path) throws ErrnoException {
        long change = stackChanges.get(); // read first: a change meanwhile marks this listing stale, never the reverse
        List<UnionFs.Dirent> listed = union.list(path);
        List<UnionFs.Dirent> entries = new ArrayList<>(listed.size() + 2);
        entries.add(new UnionFs.Dirent(".", Stat.S_IFDIR, UNKNOWN_INO));
        entries.add(new UnionFs.Dirent("..", Stat.S_IFDIR, UNKNOWN_INO));
        entries.addAll(listed);
        int serial = nextSerial.getAndUpdate(s -> s == Integer.MAX_VALUE ? 1 : s + 1);
        Listing l = new Listing(serial, node, change, entries);
        keep(l);
        return l;
    }

    private synchronized Listing recent(int serial) {
        return recent.get(serial);
    }

    private synchronized void keep(Listing l) {
        Listing replaced = recent.put(l.serial(), l);
        recentEntries += l.entries().size() - (replaced == null ? 0 : replaced.entries().size());
        Iterator<Listing> oldest = recent.values().iterator();
        while (recent.size() > 1 && (recent.size() > RECENT_LISTINGS || recentEntries > RECENT_ENTRIES)) {
            recentEntries -= oldest.next().entries().size();
            oldest.remove();
        }
    }

    private Dir dir(long handle) throws ErrnoException {
        Dir d = dirs.get(handle);
        if (d == null) {
            throw new ErrnoException(Errno.EBADF, "no open directory with handle " + handle);
        }
        return d;
    }
}
