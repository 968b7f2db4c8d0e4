package dev.layerfs.wire;

import dev.layerfs.sys.Stat;
import jnr.ffi.Pointer;

/**
 * A reply being built in a native buffer: fuse_out_header, then the opcode's result. Each
 * worker thread owns one and sends it with a single write(2).
 */
final class Reply {

    private final Pointer buf;
    private final int capacity;
    private int pos;

    Reply(Pointer buf, int capacity) {
        this.buf = buf;
        this.capacity = capacity;
    }

    /** Starts an empty reply body. */
    Reply begin() {
        pos = Protocol.OUT_HEADER;
        return this;
    }

    int size() {
        return pos;
    }

    int room() {
        return capacity - pos;
    }

    Pointer buffer() {
        return buf;
    }

    /** The body's memory from its current end, for a read to fill; then {@link #skip} what it filled. */
    Pointer tail() {
        return buf.slice(pos);
    }

    Reply skip(int n) {
        pos += n;
        return this;
    }

    Reply u32(int v) {
        buf.putInt(pos, v);
        pos += 4;
        return this;
    }

    Reply u64(long v) {
        buf.putLong(pos, v);
        pos += 8;
        return this;
    }

    Reply bytes(byte[] b) {
        buf.put(pos, b, 0, b.length);
        pos += b.length;
        return this;
    }

    /** Zero bytes up to the next multiple of 8. */
    Reply pad8() {
        while ((pos & 7) != 0) {
            buf.putByte(pos++, (byte) 0);
        }
        return this;
    }

    /** fuse_attr. */
    Reply attr(Stat s) {
        u64(s.ino()).u64(s.size()).u64(s.blocks())
                .u64(s.atimeSec()).u64(s.mtimeSec()).u64(s.ctimeSec())
                .u32(s.atimeNsec()).u32(s.mtimeNsec()).u32(s.ctimeNsec())
                .u32(s.mode()).u32(s.nlink()).u32(s.uid()).u32(s.gid())
                .u32(encodeDev(s.rdevMajor(), s.rdevMinor())).u32(s.blksize()).u32(0);
        return this;
    }

    /** fuse_entry_out for {@code nodeid} (0: a negative entry, cached for {@code entryValid}). */
    Reply entry(long nodeid, Stat s, double entryValid, double attrValid) {
        u64(nodeid).u64(0).u64(seconds(entryValid)).u64(seconds(attrValid))
                .u32(nanos(entryValid)).u32(nanos(attrValid));
        if (s == null) {
            for (int i = 0; i < Protocol.ATTR; i += 8) {
                u64(0);
            }
            return this;
        }
        return attr(s);
    }

    /** fuse_attr_out. */
    Reply attrOut(Stat s, double attrValid) {
        return u64(seconds(attrValid)).u32(nanos(attrValid)).u32(0).attr(s);
    }

    /** Writes the header for request {@code unique} with {@code error} (0 or a negative errno). */
    void seal(long unique, int error) {
        buf.putInt(0, pos);
        buf.putInt(4, error);
        buf.putLong(8, unique);
    }

    private static long seconds(double d) {
        return (long) d;
    }

    private static int nanos(double d) {
        return (int) Math.round((d - Math.floor(d)) * 1e9) % 1_000_000_000;
    }

    /** The kernel's 32-bit device number encoding (new_encode_dev). */
    static int encodeDev(int major, int minor) {
        return (minor & 0xff) | ((major & 0xfff) << 8) | ((minor & ~0xff) << 12);
    }
}
