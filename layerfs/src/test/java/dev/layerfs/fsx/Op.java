package dev.layerfs.fsx;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

/**
 * One file system operation of the random tester, addressed by paths relative to a root, and
 * applied by plain system calls to either root (the union's mount point or the expected tree).
 * Paths follow symlinks wherever the system call does, exactly as a program would.
 */
sealed interface Op {

    /** The paths whose state the step checks afterwards. */
    List<String> touched();

    Outcome apply(Path root) throws IOException;

    static String abs(Path root, String rel) {
        return rel.isEmpty() ? root.toString() : root + "/" + rel;
    }

    /** Bytes a write puts, derived from its seed so a replay writes the same. */
    static byte[] data(long seed, int length) {
        byte[] b = new byte[length];
        Random r = new Random(seed);
        if (r.nextInt(4) == 0) {
            java.util.Arrays.fill(b, (byte) r.nextInt(256)); // runs of one byte, incl. zeros like a hole
        } else {
            r.nextBytes(b);
        }
        return b;
    }

    record Create(String path, int mode) implements Op {
        public List<String> touched() {
            return List.of(path);
        }

        public Outcome apply(Path root) {
            long fd = Sys.rc(Sys.c().open(abs(root, path), Sys.O_CREAT | Sys.O_EXCL | Sys.O_WRONLY, mode));
            if (fd >= 0) {
                Sys.c().close((int) fd);
            }
            return Outcome.of(fd);
        }
    }

    /** open(O_WRONLY [| O_TRUNC | O_APPEND]) and one pwrite; with O_APPEND the offset is ignored, as POSIX says. */
    record Write(String path, long offset, int length, long dataSeed, boolean trunc, boolean append) implements Op {
        public List<String> touched() {
            return List.of(path);
        }

        public Outcome apply(Path root) {
            int flags = Sys.O_WRONLY | (trunc ? Sys.O_TRUNC : 0) | (append ? Sys.O_APPEND : 0);
            long fd = Sys.rc(Sys.c().open(abs(root, path), flags, 0));
            if (fd < 0) {
                return Outcome.of(fd);
            }
            try {
                byte[] b = data(dataSeed, length);
                long n = Sys.rc(Sys.c().pwrite((int) fd, b, b.length, offset));
                if (n >= 0 && n != length) {
                    return new Outcome("short-write", n + " of " + length);
                }
                return Outcome.of(n);
            } finally {
                Sys.c().close((int) fd);
            }
        }
    }

    record Truncate(String path, long size) implements Op {
        public List<String> touched() {
            return List.of(path);
        }

        public Outcome apply(Path root) {
            return Outcome.of(Sys.rc(Sys.c().truncate(abs(root, path), size)));
        }
    }

    record Rename(String from, String to) implements Op {
        public List<String> touched() {
            return List.of(from, to);
        }

        public Outcome apply(Path root) {
            return Outcome.of(Sys.rc(Sys.c().rename(abs(root, from), abs(root, to))));
        }
    }

    record Link(String from, String to) implements Op {
        public List<String> touched() {
            return List.of(from, to);
        }

        public Outcome apply(Path root) {
            return Outcome.of(Sys.rc(Sys.c().link(abs(root, from), abs(root, to))));
        }
    }

    record Unlink(String path) implements Op {
        public List<String> touched() {
            return List.of(path);
        }

        public Outcome apply(Path root) {
            return Outcome.of(Sys.rc(Sys.c().unlink(abs(root, path))));
        }
    }

    record Mkdir(String path, int mode) implements Op {
        public List<String> touched() {
            return List.of(path);
        }

        public Outcome apply(Path root) {
            return Outcome.of(Sys.rc(Sys.c().mkdir(abs(root, path), mode)));
        }
    }

    record Rmdir(String path) implements Op {
        public List<String> touched() {
            return List.of(path);
        }

        public Outcome apply(Path root) {
            return Outcome.of(Sys.rc(Sys.c().rmdir(abs(root, path))));
        }
    }

    record Chmod(String path, int mode) implements Op {
        public List<String> touched() {
            return List.of(path);
        }

        public Outcome apply(Path root) {
            return Outcome.of(Sys.rc(Sys.c().chmod(abs(root, path), mode)));
        }
    }

    /** UTIME_NOW and UTIME_OMIT, as nanoseconds: the time of the call, or leave it. */
    long UTIME_NOW = (1L << 30) - 1;
    long UTIME_OMIT = (1L << 30) - 2;

    /** utimensat following symlinks, mostly with explicit (old) times, sometimes UTIME_NOW or UTIME_OMIT. */
    record Utimes(String path, long atimeSec, long atimeNsec, long mtimeSec, long mtimeNsec) implements Op {
        public List<String> touched() {
            return List.of(path);
        }

        public Outcome apply(Path root) {
            long[] t = {atimeSec, atimeNsec, mtimeSec, mtimeNsec};
            return Outcome.of(Sys.rc(Sys.c().utimensat(Sys.AT_FDCWD, abs(root, path), t, 0)));
        }
    }

    record Chown(String path, int uid, int gid) implements Op {
        public List<String> touched() {
            return List.of(path);
        }

        public Outcome apply(Path root) {
            return Outcome.of(Sys.rc(Sys.c().chown(abs(root, path), uid, gid)));
        }
    }

    /** setxattr (following symlinks) of a user attribute, or removexattr when {@code value} is null. */
    record SetXattr(String path, String name, String value) implements Op {
        public List<String> touched() {
            return List.of(path);
        }

        public Outcome apply(Path root) {
            if (value == null) {
                return Outcome.of(Sys.rc(Sys.c().removexattr(abs(root, path), name)));
            }
            byte[] v = value.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            return Outcome.of(Sys.rc(Sys.c().setxattr(abs(root, path), name, v, v.length, 0)));
        }
    }

    /** What {@link FdWrite} does to the name while its file is open. */
    enum Then { NOTHING, UNLINK, RENAME }

    /**
     * Opens a file read-write, then removes or renames its name, then writes and reads through
     * the still-open descriptor: a removed file stays usable until closed.
     */
    record FdWrite(String path, Then then, String to, long offset, int length, long dataSeed) implements Op {
        public List<String> touched() {
            return then == Then.RENAME ? List.of(path, to) : List.of(path);
        }

        public Outcome apply(Path root) {
            long fd = Sys.rc(Sys.c().open(abs(root, path), Sys.O_RDWR, 0));
            if (fd < 0) {
                return Outcome.of(fd);
            }
            try {
                long named = switch (then) {
                    case NOTHING -> 0;
                    case UNLINK -> Sys.rc(Sys.c().unlink(abs(root, path)));
                    case RENAME -> Sys.rc(Sys.c().rename(abs(root, path), abs(root, to)));
                };
                byte[] b = data(dataSeed, length);
                long n = Sys.rc(Sys.c().pwrite((int) fd, b, b.length, offset));
                if (n < 0) {
                    return new Outcome(Sys.errnoName(n), "after " + Outcome.of(named));
                }
                var out = new java.io.ByteArrayOutputStream();
                byte[] buf = new byte[256 * 1024];
                for (long off = 0; ; ) {
                    long r = Sys.rc(Sys.c().pread((int) fd, buf, buf.length, off));
                    if (r < 0) {
                        return new Outcome(Sys.errnoName(r), "reading back after " + Outcome.of(named));
                    }
                    if (r == 0) {
                        break;
                    }
                    out.write(buf, 0, (int) r);
                    off += r;
                }
                return new Outcome("ok", Outcome.of(named) + ", then " + out.size() + " bytes "
                        + EntryState.sha256(out.toByteArray()).substring(0, 16));
            } finally {
                Sys.c().close((int) fd);
            }
        }
    }

    record Symlink(String target, String path) implements Op {
        public List<String> touched() {
            return List.of(path);
        }

        public Outcome apply(Path root) {
            return Outcome.of(Sys.rc(Sys.c().symlink(target, abs(root, path))));
        }
    }

    /** pread of a range (the whole file when length is -1), answered as the bytes' digest. */
    record Read(String path, long offset, int length) implements Op {
        public List<String> touched() {
            return List.of(path);
        }

        public Outcome apply(Path root) {
            long fd = Sys.rc(Sys.c().open(abs(root, path), Sys.O_RDONLY, 0));
            if (fd < 0) {
                return Outcome.of(fd);
            }
            try {
                var out = new java.io.ByteArrayOutputStream();
                byte[] buf = new byte[length < 0 ? 256 * 1024 : length];
                long off = offset;
                while (true) {
                    int want = length < 0 ? buf.length : length - out.size();
                    if (want == 0) {
                        break;
                    }
                    long n = Sys.rc(Sys.c().pread((int) fd, buf, want, off));
                    if (n < 0) {
                        return Outcome.of(n);
                    }
                    if (n == 0) {
                        break;
                    }
                    out.write(buf, 0, (int) n);
                    off += n;
                }
                return new Outcome("ok", out.size() + " bytes " + EntryState.sha256(out.toByteArray()).substring(0, 16));
            } finally {
                Sys.c().close((int) fd);
            }
        }
    }

    record ReadDir(String path) implements Op {
        public List<String> touched() {
            return List.of();
        }

        public Outcome apply(Path root) throws IOException {
            Path dir = root.resolve(path);
            if (!Files.isDirectory(dir)) {
                return Files.exists(dir, LinkOption.NOFOLLOW_LINKS) ? Outcome.errno("ENOTDIR") : Outcome.errno("ENOENT");
            }
            try (Stream<Path> s = Files.list(dir)) {
                return new Outcome("ok", s.map(p -> p.getFileName().toString()).sorted().toList().toString());
            }
        }
    }
}
