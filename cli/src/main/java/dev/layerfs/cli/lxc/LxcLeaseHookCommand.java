package dev.layerfs.cli.lxc;

import dev.layerfs.cli.UserError;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code imaged lxc lease-hook acquire|release|renew NAME}: what the container's
 * {@code imaged-lease-hook} runs at pre-start and post-stop, and the renewer it leaves running.
 * Not for users to type.
 */
@Command(name = "lease-hook", hidden = true,
        description = "Run by a container's hooks: take its lease and start the renewer, stop the renewer and give the lease back.",
        subcommands = {LxcLeaseHookCommand.Acquire.class, LxcLeaseHookCommand.Release.class, LxcLeaseHookCommand.Renew.class})
public final class LxcLeaseHookCommand {

    abstract static class Base implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Option(names = {"-P", "--lxcpath"}, paramLabel = "DIR")
        Path lxcpath = ContainerDir.DEFAULT_LXCPATH;

        ContainerDir container() {
            return new ContainerDir(lxcpath, new ContainerName(name));
        }

        ContainerLeases leases(ContainerDir container) {
            return ContainerLeases.of(container, System.getenv()).orElseThrow(() ->
                    new UserError("container " + container.name() + " has no lease (" + container.leaseFile() + ")"));
        }
    }

    /** pre-start: take the lease, record the grant, leave the renewer running. */
    @Command(name = "acquire")
    static final class Acquire extends Base {
        @Option(names = "--monitor", required = true, paramLabel = "PID", description = "the lxc-start process running the hook")
        long monitor;

        @Override
        public Integer call() throws Exception {
            ContainerDir container = container();
            ContainerLeases leases = leases(container);
            long token = leases.acquire(HostIdentity.holder(System.getenv()));
            try {
                RenewerProcess.start(container, HookLauncher.IMAGED.find(), token, monitor);
            } catch (Exception e) {
                ContainerLeases.of(container, System.getenv()).orElseThrow().release();
                throw new UserError("container " + container.name() + " is not started: cannot start its lease renewer: " + e.getMessage(), e);
            }
            return 0;
        }
    }

    /** post-stop: stop the renewer, give the lease back (it lapses by itself if that fails). */
    @Command(name = "release")
    static final class Release extends Base {
        @Override
        public Integer call() {
            ContainerDir container = container();
            RenewerProcess.stop(container);
            leases(container).release();
            return 0;
        }
    }

    /** The renewer: runs while the container runs. */
    @Command(name = "renew")
    static final class Renew extends Base {
        @Option(names = "--token", required = true)
        long token;

        @Option(names = "--monitor", required = true, paramLabel = "PID")
        long monitor;

        @Override
        public Integer call() throws Exception {
            ContainerDir container = container();
            String why = new LeaseRenewer(container, leases(container), token, monitor).run();
            System.err.println("lease renewer of " + container.name() + " ends: " + why);
            return 0;
        }
    }
}
