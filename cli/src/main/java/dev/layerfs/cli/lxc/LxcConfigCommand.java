package dev.layerfs.cli.lxc;

import dev.layerfs.cli.UserError;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

/** {@code layerfs lxc-config NAME -o dirs=...}: an LXC container over branches named by hand. */
@Command(name = "lxc-config",
        mixinStandardHelpOptions = true,
        description = {
                "Creates an LXC container whose root filesystem is a layerfs union of the given branches:"
                        + " <lxcpath>/NAME/config, hooks that mount the union before the container starts"
                        + " and unmount it after it stops, and the mountpoint <lxcpath>/NAME/rootfs.",
                "Then `lxc-start -n NAME` or `lxc-execute -n NAME -- CMD` just work.",
                "Example: layerfs lxc-config c1 -o dirs=/srv/c1/delta=rw:/srv/base=ro"})
public final class LxcConfigCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "NAME", description = "the container's name")
    String name;

    @Option(names = "-o", paramLabel = "OPTIONS", required = true,
            description = "union options, as for layerfs mount: dirs=DIR[=rw|ro|rr]:DIR[=MODE]:... (top first);"
                    + " host[=SOCKET]: the union is served by the running mount host (`layerfs host`), one process"
                    + " for every container's union, instead of a daemon of its own (a crash of the host ends them all)")
    List<String> options = new ArrayList<>();

    @Option(names = {"-P", "--lxcpath"}, paramLabel = "DIR",
            description = "where LXC keeps containers (default: ${DEFAULT-VALUE})")
    Path lxcpath = ContainerDir.DEFAULT_LXCPATH;

    @Override
    public Integer call() {
        ContainerDir container = new ContainerDir(lxcpath, new ContainerName(name));
        UnionDirs union = UnionDirs.parse(dirsOption(options));
        Optional<MountHost> host = hostOption(options);
        Lxc.requireInstalled();
        new ContainerWriter(TemplateStore.installed(), HookLauncher.LAYERFS.find(), "layerfs lxc-config")
                .create(container, ContainerWriter.Contents.overBranches(union).withMountHost(host));
        System.out.println("created container " + container.name() + " in " + container.dir()
                + "; start it with: lxc-start " + container.lxcpathOption() + "-n " + container.name());
        return 0;
    }

    /**
     * The value of {@code dirs=} among the -o options. The branch list itself holds ':' and
     * '=', so a comma is the only separator between options, as in AUFS.
     */
    static String dirsOption(List<String> options) {
        String dirs = null;
        for (String group : options) {
            for (String option : group.split(",")) {
                if (option.startsWith("dirs=")) {
                    if (dirs != null) {
                        throw new UserError("dirs is given twice: " + dirs + " and " + option.substring(5));
                    }
                    dirs = option.substring(5);
                } else if (!option.isEmpty() && !option.equals("host") && !option.startsWith("host=")) {
                    throw new UserError("unknown option '" + option + "': lxc-config takes -o dirs=...[,host[=SOCKET]]");
                }
            }
        }
        if (dirs == null) {
            throw new UserError("no branches: give -o dirs=DIR=rw:DIR=ro...");
        }
        return dirs;
    }

    /** {@code host} or {@code host=SOCKET} among the -o options: the union is served by the mount host. */
    static Optional<MountHost> hostOption(List<String> options) {
        Optional<MountHost> host = Optional.empty();
        for (String group : options) {
            for (String option : group.split(",")) {
                if (option.equals("host") || option.startsWith("host=")) {
                    if (host.isPresent()) {
                        throw new UserError("host is given twice");
                    }
                    host = Optional.of(MountHost.parse(option.equals("host") ? "" : option.substring(5)));
                }
            }
        }
        return host;
    }
}
