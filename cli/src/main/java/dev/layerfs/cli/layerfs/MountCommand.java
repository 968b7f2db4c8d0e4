package dev.layerfs.cli.layerfs;

import dev.layerfs.branch.BranchSpecException;
import dev.layerfs.mount.DaemonMain;
import dev.layerfs.cli.UserError;
import dev.layerfs.host.HostClient;
import dev.layerfs.host.HostOption;
import dev.layerfs.host.HostRequest;
import dev.layerfs.mount.Daemon;
import dev.layerfs.mount.MountCheck;
import dev.layerfs.mount.MountException;
import dev.layerfs.mount.MountOptions;
import dev.layerfs.mount.Mounter;
import dev.layerfs.mount.RunFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * {@code layerfs mount -o dirs=/upper=rw:/base=ro MOUNTPOINT}: checks everything it can, then
 * runs itself again with {@code -f} as a detached daemon (own session, output to a log file)
 * and returns once the mount is live, or with the daemon's error if it died first.
 */
@Command(name = "mount", mixinStandardHelpOptions = true,
        description = {"Mount a union of branch directories (AUFS syntax) on MOUNTPOINT.",
                "Example: layerfs mount -o dirs=/ct/delta=rw:/images/base=ro /ct/rootfs"},
        footer = {"Options for -o (comma-separated; -o may repeat):",
                "  dirs=DIR[=MODE]:...   branches, top first; MODE is rw, ro or rr",
                "                        (default: rw for the first, ro for the others)",
                "  entry_timeout=SEC     kernel name cache (default 60)",
                "  negative_timeout=SEC  kernel cache of absent names (default 60)",
                "  attr_timeout=SEC      kernel attribute cache (default 60; 1 with engine=jnr-fuse)",
                "  engine=wire|jnr-fuse  layerfs's own FUSE protocol engine (default; mounts as root)",
                "                        or libfuse 2 (also mounts as another user, via fusermount)",
                "  udba=none|reval       reval: changes made directly in branches show within 1 s",
                "  statfs=top|sum        df: the top branch (default) or the sum over file systems",
                "  lowerdir=A:B,upperdir=U,workdir=W   fuse-overlayfs style, same as dirs=U=rw:A=ro:B=ro",
                "  host[=SOCKET]         served by the running mount host (layerfs host, socket",
                "                        /run/layerfs/host.sock) instead of a daemon of its own; engine=wire",
                "  anything else         passed to FUSE, e.g. suid,dev for a container rootfs",
                "With remount, on a mounted union: add:INDEX:DIR[=MODE], append:DIR, prepend:DIR,",
                "  del:DIR, mod:DIR=MODE change its branches live (see layerfs branch); others are ignored.",
                "As root the mount is shared: allow_other, default_permissions.",
                "In the background the daemon logs to /run/layerfs/<mountpoint>.log",
                "(mountpoint escaped: /srv/ct/rootfs -> srv-ct-rootfs) unless --log is given."})
public final class MountCommand implements Callable<Integer> {

    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);

    @Option(names = "-o", paramLabel = "OPTIONS", description = "Mount options, see below.")
    List<String> options = new ArrayList<>();

    @Option(names = {"-f", "--foreground"}, description = "Serve in the foreground until unmounted.")
    boolean foreground;

    @Option(names = {"-d", "--debug"}, description = "Log every FUSE request (libfuse debug output).")
    boolean debug;

    @Option(names = "--log", paramLabel = "FILE", description = "Log file of the background daemon.")
    Path log;

    @Parameters(index = "0", paramLabel = "MOUNTPOINT", description = "Existing directory to mount on.")
    Path mountPoint;

    @Override
    public Integer call() {
        if (Remount.asked(options)) {
            Remount.apply(mountPoint, options);
            return 0;
        }
        MountOptions parsed;
        Path real;
        Optional<HostOption> host;
        try {
            host = HostOption.take(options, Path.of("").toAbsolutePath());
            parsed = MountOptions.parse(host.map(HostOption::options).orElse(options), Path.of("").toAbsolutePath());
            real = MountCheck.check(mountPoint, parsed);
            if (host.isPresent()) {
                if (foreground) {
                    throw new MountException("-o host and -f exclude each other: the host serves the mount");
                }
                HostClient.mount(host.get().socket(), new HostRequest.Mount(parsed.toOptionString(), real, debug));
                return 0;
            }
        } catch (BranchSpecException | MountException e) {
            throw new UserError(e.getMessage(), e);
        }
        if (foreground) {
            Mounter.serve(real, parsed, debug);
            return 0;
        }
        Daemon.start(daemonCommand(parsed, real), log != null ? log.toAbsolutePath() : RunFiles.log(real),
                real, START_TIMEOUT);
        return 0;
    }

    /** The daemon's own entry point (no command-line parser), with everything resolved to absolute paths. */
    private List<String> daemonCommand(MountOptions parsed, Path real) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        // One daemon per container: a small serial-GC heap halves its memory at no cost in speed.
        // C1 only: the work is system calls, so C2 adds nothing but a slow warm-up (a cold
        // ls -lR took twice as long with it; sequential I/O was the same).
        cmd.addAll(List.of("-XX:+UseSerialGC", "-Xms8m", "-XX:ReservedCodeCacheSize=48m", "-XX:TieredStopAtLevel=1"));
        cmd.addAll(ClassDataArchive.jvmOptions());
        String extra = System.getenv("LAYERFS_JAVA_OPTS");
        if (extra != null && !extra.isBlank()) {
            cmd.addAll(List.of(extra.trim().split("\\s+")));
        }
        cmd.add("-Dfile.encoding=ISO-8859-1"); // names are bytes; see dev.layerfs.sys.Fs.NAMES
        cmd.add("-Dorg.slf4j.simpleLogger.showDateTime=true");
        cmd.add("-Dorg.slf4j.simpleLogger.dateTimeFormat=yyyy-MM-dd'T'HH:mm:ss.SSSZ");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(DaemonMain.class.getName());
        if (debug) {
            cmd.add("-d");
        }
        cmd.add("--pid-file");
        cmd.add(Daemon.startingPidFile(real).toString());
        cmd.add(parsed.toOptionString());
        cmd.add(real.toString());
        return cmd;
    }
}
