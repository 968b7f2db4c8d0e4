package dev.layerfs.wire;

import dev.layerfs.sys.Fs;
import jnr.ffi.Pointer;

/**
 * One request as the kernel wrote it into a native buffer: the fixed header (fuse_in_header)
 * and the opcode's arguments after it. Offsets given to the accessors count from the start of
 * the arguments. Valid until the buffer is read into again.
 */
final class Request {

    private final Pointer buf;
    private int length;

    Request(Pointer buf) {
        this.buf = buf;
    }

    void filled(int length) {
        this.length = length;
    }

    int length() {
        return length;
    }

    int opcode() {
        return buf.getInt(4);
    }

    long unique() {
        return buf.getLong(8);
    }

    long nodeid() {
        return buf.getLong(16);
    }

    int uid() {
        return buf.getInt(24);
    }

    int gid() {
        return buf.getInt(28);
    }

    int int32(int offset) {
        return buf.getInt(Protocol.IN_HEADER + offset);
    }

    long int64(int offset) {
        return buf.getLong(Protocol.IN_HEADER + offset);
    }

    /** The arguments' memory from {@code offset} on (write data, xattr values). */
    Pointer data(int offset) {
        return buf.slice(Protocol.IN_HEADER + offset);
    }

    /** The NUL-terminated name at {@code offset}. */
    String name(int offset) {
        int start = Protocol.IN_HEADER + offset;
        int end = nul(start);
        byte[] b = new byte[end - start];
        buf.get(start, b, 0, b.length);
        return new String(b, Fs.NAMES);
    }

    /** The offset (in the arguments) just past the NUL that ends the name at {@code offset}. */
    int afterName(int offset) {
        return nul(Protocol.IN_HEADER + offset) + 1 - Protocol.IN_HEADER;
    }

    private int nul(int from) {
        for (int i = from; i < length; i++) {
            if (buf.getByte(i) == 0) {
                return i;
            }
        }
        return length;
    }

    byte[] bytes(int offset, int size) {
        byte[] b = new byte[size];
        buf.get(Protocol.IN_HEADER + offset, b, 0, size);
        return b;
    }
}
