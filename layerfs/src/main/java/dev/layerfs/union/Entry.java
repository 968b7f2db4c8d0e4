package dev.layerfs.union;

import dev.layerfs.sys.Stat;

/** The winning entry for a name: the level of its directory view, its branch, its status. */
public record Entry(int level, int branch, Stat stat) {
}
