package dev.layerfs.union;

import dev.layerfs.sys.ErrnoException;
import dev.layerfs.sys.Fs;
import dev.layerfs.sys.Stat;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;

import java.util.HashSet;
import java.util.Set;

/**
 * Fills a native {@code struct statvfs} (x86-64/arm64 glibc layout, which jnr-fuse's Statvfs
 * shares) for the union, as {@link StatfsMode} says. A sum counts each file system once (by the
 * device of the branch root) and is expressed in the top branch's fragment size.
 */
final class Statfs {

    // offsets in struct statvfs on 64-bit Linux: every field a 64-bit word
    private static final int FRSIZE = 8;
    private static final int BLOCKS = 16;
    private static final int BFREE = 24;
    private static final int BAVAIL = 32;
    private static final int FILES = 40;
    private static final int FFREE = 48;
    private static final int FAVAIL = 56;
    private static final int SIZE = 112;

    private Statfs() {
    }

    /** {@code top} is the topmost writable branch (new files go there by default), or branch 0 of a read-only union. */
    static void fill(OpenBranches branches, StatfsMode mode, Pointer out) throws ErrnoException {
        int top = branches.writable() ? branches.topWritable() : 0;
        Fs.fstatvfs(branches.root(top), out);
        if (mode == StatfsMode.TOP) {
            return;
        }
        long frsize = Math.max(1, out.getLong(FRSIZE));
        Set<String> seen = new HashSet<>();
        seen.add(device(branches.root(top)));
        Pointer one = Memory.allocateDirect(Runtime.getSystemRuntime(), SIZE);
        for (int i = 0; i < branches.size(); i++) {
            if (!seen.add(device(branches.root(i)))) {
                continue;
            }
            Fs.fstatvfs(branches.root(i), one);
            long scale = Math.max(1, one.getLong(FRSIZE));
            for (int field : new int[] {BLOCKS, BFREE, BAVAIL}) {
                out.putLong(field, out.getLong(field) + one.getLong(field) * scale / frsize);
            }
            for (int field : new int[] {FILES, FFREE, FAVAIL}) {
                out.putLong(field, out.getLong(field) + one.getLong(field));
            }
        }
    }

    /** Bytes free for unprivileged use in the file system of {@code rootFd}. */
    static long freeBytes(int rootFd) throws ErrnoException {
        Pointer one = Memory.allocateDirect(Runtime.getSystemRuntime(), SIZE);
        Fs.fstatvfs(rootFd, one);
        return one.getLong(BAVAIL) * Math.max(1, one.getLong(FRSIZE));
    }

    private static String device(int rootFd) throws ErrnoException {
        Stat st = Fs.fstat(rootFd);
        return st.devMajor() + ":" + st.devMinor();
    }
}
