package dev.layerfs.wire;

import dev.layerfs.sys.Errno;
import dev.layerfs.sys.ErrnoException;
import dev.layerfs.union.UnionPath;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The kernel's inodes as the union sees them: one node per name (parent node + name), like
 * libfuse's path API, so every request on a node maps to exactly one union path and a copy-up
 * happens under the name that was used. Hard links are therefore separate kernel inodes; their
 * attributes are never cached (see {@link WireOps}). A node lives while the kernel holds lookups
 * on it (LOOKUP, CREATE, READDIRPLUS add one; FORGET takes them back). A rename moves the node,
 * and with it the paths of everything below; unlink and rmdir detach it: it keeps answering
 * through its open files only. Node ids are never reused, so generation is always 0.
 */
final class NodeTable {

    private static final class Node {
        final long id;
        Node parent;
        String name;
        long lookups;
        final Set<Long> handles = new HashSet<>(1);

        Node(long id, Node parent, String name) {
            this.id = id;
            this.parent = parent;
            this.name = name;
        }
    }

    private record Key(long parent, String name) {
    }

    private final Map<Long, Node> byId = new HashMap<>();
    private final Map<Key, Node> byName = new HashMap<>();
    private final Node root = new Node(Protocol.ROOT_ID, null, "");
    private long nextId = Protocol.ROOT_ID + 1;

    NodeTable() {
        byId.put(root.id, root);
    }

    /** The union path of {@code nodeid}; ENOENT once the kernel forgot it or its name was removed. */
    synchronized UnionPath path(long nodeid) throws ErrnoException {
        Node n = byId.get(nodeid);
        if (n == null) {
            throw new ErrnoException(Errno.ENOENT, "no node " + nodeid);
        }
        return pathOf(n);
    }

    private UnionPath pathOf(Node n) throws ErrnoException {
        List<String> names = new ArrayList<>();
        for (Node at = n; at != root; at = at.parent) {
            if (at.parent == null) {
                throw new ErrnoException(Errno.ENOENT, "node " + n.id + " (" + n.name + ") was removed");
            }
            names.add(at.name);
        }
        Collections.reverse(names);
        return new UnionPath(names);
    }

    /** The child path {@code name} under node {@code parent}. */
    synchronized UnionPath child(long parent, String name) throws ErrnoException {
        return path(parent).child(name);
    }

    /** The node for {@code name} under {@code parent}, made if new, with one more kernel lookup. */
    synchronized long lookedUp(long parent, String name) throws ErrnoException {
        Node p = byId.get(parent);
        if (p == null) {
            throw new ErrnoException(Errno.ENOENT, "no node " + parent);
        }
        Key k = new Key(parent, name);
        Node n = byName.get(k);
        if (n == null) {
            n = new Node(nextId++, p, name);
            byId.put(n.id, n);
            byName.put(k, n);
        }
        n.lookups++;
        return n.id;
    }

    /** The node of {@code name} under {@code parent}, or 0 if the kernel holds none. */
    synchronized long find(long parent, String name) {
        Node n = byName.get(new Key(parent, name));
        return n == null ? 0 : n.id;
    }

    /** The kernel dropped {@code count} lookups of {@code nodeid}. */
    synchronized void forget(long nodeid, long count) {
        Node n = byId.get(nodeid);
        if (n == null || n == root) {
            return;
        }
        n.lookups -= count;
        if (n.lookups <= 0) {
            byId.remove(nodeid);
            if (n.parent != null) {
                byName.remove(new Key(n.parent.id, n.name), n);
            }
        }
    }

    /** {@code name} under {@code parent} was removed: its node (if any) has no path any more. */
    synchronized void removed(long parent, String name) {
        Node n = byName.remove(new Key(parent, name));
        if (n != null) {
            n.parent = null;
        }
    }

    /** A rename succeeded: the node moves (with its subtree); a replaced target is detached. */
    synchronized void renamed(long fromParent, String fromName, long toParent, String toName) {
        Node target = byName.remove(new Key(toParent, toName));
        if (target != null) {
            target.parent = null;
        }
        Node n = byName.remove(new Key(fromParent, fromName));
        Node newParent = byId.get(toParent);
        if (n == null) {
            return;
        }
        if (newParent == null) {
            n.parent = null; // cannot happen while the kernel holds the target directory
            return;
        }
        n.parent = newParent;
        n.name = toName;
        byName.put(new Key(toParent, toName), n);
    }

    synchronized void opened(long nodeid, long handle) {
        Node n = byId.get(nodeid);
        if (n != null) {
            n.handles.add(handle);
        }
    }

    synchronized void released(long nodeid, long handle) {
        Node n = byId.get(nodeid);
        if (n != null) {
            n.handles.remove(handle);
        }
    }

    /** An open handle of {@code nodeid}: what still answers for a file whose name was removed. */
    synchronized Optional<Long> anyHandle(long nodeid) {
        Node n = byId.get(nodeid);
        return n == null || n.handles.isEmpty() ? Optional.empty() : Optional.of(n.handles.iterator().next());
    }

    /** A name the kernel may have cached: {@code name} under node {@code parent}. */
    record Name(long parent, String name) {
    }

    synchronized List<Name> names() {
        List<Name> out = new ArrayList<>(byName.size());
        byName.keySet().forEach(k -> out.add(new Name(k.parent(), k.name())));
        return out;
    }

    synchronized List<Long> ids() {
        return new ArrayList<>(byId.keySet());
    }

    synchronized int size() {
        return byId.size();
    }
}
