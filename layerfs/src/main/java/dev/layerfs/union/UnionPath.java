package dev.layerfs.union;

import java.util.ArrayList;
import java.util.List;

/**
 * A path inside the union, as components. The root is the empty list; its "name" is ".", so
 * descriptor-relative calls on (branch root, ".") address the root itself.
 */
public record UnionPath(List<String> components) {

    public static final UnionPath ROOT = new UnionPath(List.of());

    public UnionPath {
        components = List.copyOf(components);
    }

    /** Parses a FUSE path such as {@code /a/b/c}. */
    public static UnionPath of(String fusePath) {
        if (fusePath == null || fusePath.isEmpty() || fusePath.equals("/")) {
            return ROOT;
        }
        List<String> parts = new ArrayList<>();
        for (String p : fusePath.split("/")) {
            if (!p.isEmpty()) {
                parts.add(p);
            }
        }
        return new UnionPath(parts);
    }

    public boolean isRoot() {
        return components.isEmpty();
    }

    public UnionPath parent() {
        return isRoot() ? ROOT : new UnionPath(components.subList(0, components.size() - 1));
    }

    public String name() {
        return isRoot() ? "." : components.get(components.size() - 1);
    }

    public UnionPath child(String name) {
        List<String> c = new ArrayList<>(components);
        c.add(name);
        return new UnionPath(c);
    }

    @Override
    public String toString() {
        return "/" + String.join("/", components);
    }
}
