package dev.layerfs.union;

import dev.layerfs.sys.ErrnoException;
import dev.layerfs.sys.Fs;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The names of a union directory: every contributing branch's names, top first, each once,
 * minus names whited out by a higher branch, never a {@code .wh.} name.
 */
public final class MergedListing {

    private MergedListing() {
    }

    /** An entry of the merged listing and the branch it comes from. */
    public record Item(String name, int branch, Fs.DirEntry entry) {
    }

    public static List<Item> items(DirView dir) throws ErrnoException {
        Map<String, Item> items = new LinkedHashMap<>();
        Set<String> hidden = new HashSet<>();
        for (int level = 0; level < dir.levels(); level++) {
            List<String> whitedOut = new ArrayList<>();
            for (Fs.DirEntry e : Fs.list(dir.fd(level), ".")) {
                String n = e.name();
                if (Names.isReserved(n)) {
                    if (!n.startsWith(Names.META_PREFIX)) {
                        whitedOut.add(n.substring(Names.WHITEOUT_PREFIX.length()));
                    }
                } else if (!hidden.contains(n)) {
                    items.putIfAbsent(n, new Item(n, dir.branch(level), e));
                }
            }
            hidden.addAll(whitedOut); // a whiteout hides the branches below it, not its own
        }
        return new ArrayList<>(items.values());
    }

    public static List<String> names(DirView dir) throws ErrnoException {
        return items(dir).stream().map(Item::name).toList();
    }

    public static boolean isEmpty(DirView dir) throws ErrnoException {
        return items(dir).isEmpty();
    }
}
