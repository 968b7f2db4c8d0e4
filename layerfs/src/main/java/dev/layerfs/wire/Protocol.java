package dev.layerfs.wire;

/**
 * The numbers of the kernel's FUSE protocol (Linux include/uapi/linux/fuse.h) that layerfs
 * speaks: opcodes, flags and the sizes of the fixed request and reply structs. Every struct is
 * little-endian, naturally aligned and padded to 8 bytes.
 */
final class Protocol {

    private Protocol() {
    }

    static final int MAJOR = 7;
    /** The newest minor version whose struct layouts this package knows; the kernel here offers 45. */
    static final int MAX_MINOR = 38;
    static final long ROOT_ID = 1;

    // opcodes
    static final int LOOKUP = 1;
    static final int FORGET = 2;
    static final int GETATTR = 3;
    static final int SETATTR = 4;
    static final int READLINK = 5;
    static final int SYMLINK = 6;
    static final int MKNOD = 8;
    static final int MKDIR = 9;
    static final int UNLINK = 10;
    static final int RMDIR = 11;
    static final int RENAME = 12;
    static final int LINK = 13;
    static final int OPEN = 14;
    static final int READ = 15;
    static final int WRITE = 16;
    static final int STATFS = 17;
    static final int RELEASE = 18;
    static final int FSYNC = 20;
    static final int SETXATTR = 21;
    static final int GETXATTR = 22;
    static final int LISTXATTR = 23;
    static final int REMOVEXATTR = 24;
    static final int FLUSH = 25;
    static final int INIT = 26;
    static final int OPENDIR = 27;
    static final int READDIR = 28;
    static final int RELEASEDIR = 29;
    static final int FSYNCDIR = 30;
    static final int ACCESS = 34;
    static final int CREATE = 35;
    static final int INTERRUPT = 36;
    static final int DESTROY = 38;
    static final int BATCH_FORGET = 42;
    static final int READDIRPLUS = 44;
    static final int RENAME2 = 45;

    // FUSE_INIT flags (the first 32 bits)
    static final int ASYNC_READ = 1;
    static final int ATOMIC_O_TRUNC = 1 << 3;
    static final int BIG_WRITES = 1 << 5;
    static final int AUTO_INVAL_DATA = 1 << 12;
    static final int DO_READDIRPLUS = 1 << 13;
    static final int READDIRPLUS_AUTO = 1 << 14;
    static final int ASYNC_DIO = 1 << 15;
    static final int PARALLEL_DIROPS = 1 << 18;
    static final int POSIX_ACL = 1 << 20;
    static final int MAX_PAGES = 1 << 22;
    static final int CACHE_SYMLINKS = 1 << 23;
    static final int HANDLE_KILLPRIV_V2 = 1 << 28;

    // Set by the kernel with HANDLE_KILLPRIV_V2 when the caller lacks CAP_FSETID: drop set-user-ID
    // and set-group-ID. fuse_open_in / fuse_create_in open_flags, fuse_write_in write_flags.
    static final int OPEN_KILL_SUIDGID = 1;
    static final int WRITE_KILL_SUIDGID = 1 << 2;

    // fuse_open_out.open_flags
    static final int FOPEN_DIRECT_IO = 1;
    static final int FOPEN_KEEP_CACHE = 1 << 1;
    static final int FOPEN_CACHE_DIR = 1 << 3;

    // fuse_setattr_in.valid
    static final int FATTR_MODE = 1;
    static final int FATTR_UID = 1 << 1;
    static final int FATTR_GID = 1 << 2;
    static final int FATTR_SIZE = 1 << 3;
    static final int FATTR_ATIME = 1 << 4;
    static final int FATTR_MTIME = 1 << 5;
    static final int FATTR_FH = 1 << 6;
    static final int FATTR_ATIME_NOW = 1 << 7;
    static final int FATTR_MTIME_NOW = 1 << 8;
    static final int FATTR_LOCKOWNER = 1 << 9;
    static final int FATTR_CTIME = 1 << 10;
    static final int FATTR_KILL_SUIDGID = 1 << 11;

    static final int GETATTR_FH = 1;
    static final int FSYNC_FDATASYNC = 1;
    static final int RENAME_NOREPLACE = 1;

    /** Unsolicited message codes, sent in the error field of a reply with unique 0. */
    static final int NOTIFY_INVAL_INODE = 2;
    static final int NOTIFY_INVAL_ENTRY = 3;

    // sizes
    static final int IN_HEADER = 40;
    static final int OUT_HEADER = 16;
    static final int ATTR = 88;
    static final int ENTRY_OUT = 40 + ATTR;
    static final int ATTR_OUT = 16 + ATTR;
    static final int OPEN_OUT = 16;
    static final int DIRENT = 24;
    static final int INIT_OUT = 64;
    static final int KSTATFS = 80;
    static final int WRITE_IN = 40;
    /** fuse_setxattr_in without FUSE_SETXATTR_EXT (not negotiated). */
    static final int SETXATTR_IN = 8;

    /**
     * Pages per request: 128 x 4 KiB = 512 KiB reads and writes, four times libfuse 2's ceiling.
     * Measured here (dd of 512 MiB with fsync, interleaved): 16 to 128 pages wrote 470-700 MB/s,
     * 256 pages (1 MiB, the kernel's limit) only 165-280 MB/s. -Dlayerfs.wire.pages overrides.
     */
    static final int PAGES = Integer.getInteger("layerfs.wire.pages", 128);
    static final int MAX_WRITE = PAGES * 4096;
    /** A request buffer: the largest write plus room for the headers and a 64 KiB xattr. */
    static final int REQUEST_BUFFER = MAX_WRITE + 128 * 1024;

    static int align8(int n) {
        return (n + 7) & ~7;
    }
}
