package dev.layerfs.union;

/**
 * An open file of the union: the descriptor in the branch it was opened from. {@code directIo}
 * asks the kernel to bypass its page cache: libfuse's path-based API gives each hard link its
 * own kernel inode, so a file that has had several names during the mount could otherwise be
 * read through a stale cached size or pages after a write through another of its names (even
 * one removed since).
 */
public record OpenFile(int fd, int branch, UnionPath path, boolean directIo) {
}
