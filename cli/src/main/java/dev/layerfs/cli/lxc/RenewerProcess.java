package dev.layerfs.cli.lxc;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The renewer as a process of its own ({@code imaged lxc lease-hook renew}), started by the
 * pre-start hook and stopped by the post-stop hook, its pid beside the container. It runs in a
 * session of its own with stdin /dev/null and its output in the lease log: LXC waits for a
 * hook's stdout and stderr to close, so the hook must not leave them to it.
 */
final class RenewerProcess {

    private static final Logger log = LoggerFactory.getLogger(RenewerProcess.class);

    private RenewerProcess() {
    }

    static long start(ContainerDir container, Path imagedLauncher, long token, long monitorPid) throws IOException {
        stop(container); // one left from a start that failed half-way
        Process p = new ProcessBuilder(List.of("setsid", imagedLauncher.toString(), "lxc", "lease-hook", "renew",
                container.name().value(), "-P", container.lxcpath().toString(),
                "--token", Long.toString(token), "--monitor", Long.toString(monitorPid)))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.appendTo(container.leaseLog().toFile()))
                .redirectErrorStream(true)
                .start();
        Files.writeString(container.renewerPid(), p.pid() + "\n");
        log.info("lease renewer for {} started as pid {}", container.name(), p.pid());
        return p.pid();
    }

    /** Ends the recorded renewer, if it still runs and is ours (a reused pid is left alone). */
    static void stop(ContainerDir container) {
        Optional<ProcessHandle> renewer = recorded(container);
        renewer.ifPresent(p -> {
            p.destroy();
            try {
                p.onExit().get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                p.destroyForcibly();
            }
            log.info("lease renewer pid {} of {} stopped", p.pid(), container.name());
        });
        try {
            Files.deleteIfExists(container.renewerPid());
        } catch (IOException e) {
            log.warn("cannot remove {}: {}", container.renewerPid(), e.getMessage());
        }
    }

    static Optional<ProcessHandle> recorded(ContainerDir container) {
        long pid;
        try {
            pid = Long.parseLong(Files.readString(container.renewerPid()).strip());
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException | NumberFormatException e) {
            log.warn("ignoring unreadable {}: {}", container.renewerPid(), e.getMessage());
            return Optional.empty();
        }
        return ProcessHandle.of(pid).filter(p -> isRenewerOf(pid, container));
    }

    private static boolean isRenewerOf(long pid, ContainerDir container) {
        try {
            String cmdline = new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline")), StandardCharsets.UTF_8)
                    .replace('\0', ' ');
            return cmdline.contains(" lease-hook renew " + container.name().value() + " -P " + container.lxcpath() + " ");
        } catch (IOException e) {
            return false;
        }
    }
}
