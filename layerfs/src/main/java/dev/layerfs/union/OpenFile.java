package dev.layerfs.union;

/** An open file of the union: the descriptor in the branch it was opened from. */
public record OpenFile(int fd, int branch, UnionPath path) {
}
