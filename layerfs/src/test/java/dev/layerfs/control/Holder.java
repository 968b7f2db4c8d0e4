package dev.layerfs.control;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Another process holding a file (or directory) of the mount open on descriptor 3, driven one line
 * at a time: {@code reader} prints one line read through the descriptor per line it is sent,
 * {@code appender} appends every line it is sent through the descriptor.
 */
final class Holder implements AutoCloseable {

    private final Process process;
    private final OutputStream in;
    private final BufferedReader out;

    private Holder(String script, Path file) throws Exception {
        process = new ProcessBuilder("sh", "-c", script, "holder", file.toString()).redirectErrorStream(true).start();
        in = process.getOutputStream();
        out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        Path fd = Path.of("/proc", Long.toString(process.pid()), "fd", "3");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!Files.exists(fd, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                throw new IllegalStateException("could not open " + file + ": " + new String(process.getInputStream().readAllBytes()));
            }
            Thread.sleep(10);
        }
    }

    /** Holds {@code file} open for reading; {@link #readLine} reads its next line through that descriptor. */
    static Holder reader(Path file) throws Exception {
        return new Holder("exec 3<\"$1\"; while read go; do IFS= read -r line <&3 || line='<eof>'; echo \"$line\"; done", file);
    }

    /** Holds {@code file} open for appending; {@link #append} writes a line through that descriptor. */
    static Holder appender(Path file) throws Exception {
        return new Holder("exec 3>>\"$1\"; while IFS= read -r l; do if echo \"$l\" >&3 2>/dev/null; then echo ok; else echo failed; fi; done", file);
    }

    /** Holds directory {@code dir} open (as a shell's cwd would not: FUSE sees only open descriptors). */
    static Holder directory(Path dir) throws Exception {
        return new Holder("exec 3<\"$1\"; read stop", dir);
    }

    String readLine() throws Exception {
        in.write("go\n".getBytes(StandardCharsets.UTF_8));
        in.flush();
        return out.readLine();
    }

    /** Appends {@code line}; "ok" or "failed" as the write through the held descriptor went. */
    String append(String line) throws Exception {
        in.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        in.flush();
        return out.readLine();
    }

    @Override
    public void close() throws Exception {
        process.destroy();
        process.waitFor(10, TimeUnit.SECONDS);
        process.destroyForcibly();
    }
}
