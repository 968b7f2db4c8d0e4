package dev.layerfs.fuse;

import dev.layerfs.sys.ErrnoException;
import dev.layerfs.union.UnionFs;
import dev.layerfs.union.UnionPath;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Answers the extended attribute requests the kernel makes on its own (security.capability
 * before every write, security.selinux and the POSIX ACL names on every {@code ls -l}) from
 * memory: the first probe of a path lists its attribute names once, and later probes of a name
 * it does not have answer ENODATA without a system call. Any other name is read directly.
 * Every change through the mount that could alter a path's attributes forgets the path
 * (a rename forgets everything, since it moves a whole subtree).
 */
public final class XattrProbes {

    private static final Set<String> PROBED = Set.of(
            "security.capability", "security.selinux", "system.posix_acl_access", "system.posix_acl_default");
    private static final int MAX_ENTRIES = 200_000;

    private final UnionFs union;
    private final ConcurrentHashMap<String, List<String>> namesByPath = new ConcurrentHashMap<>();
    /** Bumped by every forget, so a listing taken while a change happened is not kept. */
    private final AtomicLong changes = new AtomicLong();

    public XattrProbes(UnionFs union) {
        this.union = union;
    }

    public byte[] get(String path, String name) throws ErrnoException {
        UnionPath p = UnionPath.of(path);
        if (PROBED.contains(name)) {
            List<String> names = namesByPath.get(path);
            if (names == null) {
                long before = changes.get();
                names = union.listxattr(p);
                if (namesByPath.size() > MAX_ENTRIES) {
                    namesByPath.clear();
                }
                namesByPath.put(path, names);
                if (changes.get() != before) {
                    namesByPath.remove(path); // changed meanwhile: the listing may be stale
                }
            }
            if (!names.contains(name)) {
                return null;
            }
        }
        return union.getxattr(p, name);
    }

    public void forget(String path) {
        changes.incrementAndGet();
        namesByPath.remove(path);
    }

    public void forget() {
        changes.incrementAndGet();
        namesByPath.clear();
    }
}
