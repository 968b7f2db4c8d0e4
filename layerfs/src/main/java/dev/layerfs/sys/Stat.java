package dev.layerfs.sys;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * What statx(2) says about one file. statx's layout is the same on every architecture, which is
 * why layerfs uses it instead of struct stat.
 */
public record Stat(int mode, int nlink, int uid, int gid, long ino, long size, long blocks, int blksize,
                   long atimeSec, int atimeNsec, long mtimeSec, int mtimeNsec, long ctimeSec, int ctimeNsec,
                   int rdevMajor, int rdevMinor, int devMajor, int devMinor) {

    public static final int S_IFMT = 0170000;
    public static final int S_IFDIR = 0040000;
    public static final int S_IFREG = 0100000;
    public static final int S_IFLNK = 0120000;
    public static final int S_IFIFO = 0010000;
    public static final int S_IFCHR = 0020000;
    public static final int S_IFBLK = 0060000;
    public static final int S_IFSOCK = 0140000;
    public static final int S_ISUID = 04000;
    public static final int S_ISGID = 02000;
    public static final int S_IXGRP = 00010;

    static final int BUFFER_SIZE = 256;

    static Stat parse(byte[] raw) {
        ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.nativeOrder());
        return new Stat(
                b.getShort(28) & 0xffff, b.getInt(16), b.getInt(20), b.getInt(24),
                b.getLong(32), b.getLong(40), b.getLong(48), b.getInt(4),
                b.getLong(64), b.getInt(72), b.getLong(112), b.getInt(120), b.getLong(96), b.getInt(104),
                b.getInt(128), b.getInt(132), b.getInt(136), b.getInt(140));
    }

    public int type() {
        return mode & S_IFMT;
    }

    public int permissions() {
        return mode & 07777;
    }

    /**
     * The permission bits once a change by someone without CAP_FSETID has dropped the file's
     * privileges, as Linux drops them on write and truncate: set-user-ID always, set-group-ID
     * when the group may execute (without group execute it marks mandatory locking instead).
     */
    public int permissionsWithoutSetIds() {
        int p = permissions() & ~S_ISUID;
        return (p & (S_ISGID | S_IXGRP)) == (S_ISGID | S_IXGRP) ? p & ~S_ISGID : p;
    }

    public boolean isDirectory() {
        return type() == S_IFDIR;
    }

    public boolean isRegular() {
        return type() == S_IFREG;
    }

    public boolean isSymlink() {
        return type() == S_IFLNK;
    }

    /** rdev as glibc's makedev encodes it, the dev_t mknodat expects. */
    public long rdev() {
        return makedev(rdevMajor, rdevMinor);
    }

    public static long makedev(long major, long minor) {
        return ((major & 0xfffff000L) << 32) | ((major & 0xfffL) << 8)
                | ((minor & 0xffffff00L) << 12) | (minor & 0xffL);
    }
}
