package dev.layerfs.cli.lxc;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code imaged lxc destroy NAME}: stop, unmount, remove the container's own files. */
@Command(name = "destroy",
        mixinStandardHelpOptions = true,
        description = {"Stops the container if it runs (lxc-stop -k), unmounts its union and removes <lxcpath>/NAME.",
                "The layers it shared with other containers stay."})
public final class LxcDestroyCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "NAME", description = "the container's name")
    String name;

    @Option(names = {"-P", "--lxcpath"}, paramLabel = "DIR", description = "where LXC keeps containers (default: ${DEFAULT-VALUE})")
    Path lxcpath = ContainerDir.DEFAULT_LXCPATH;

    @Override
    public Integer call() {
        ContainerDir container = new ContainerDir(lxcpath, new ContainerName(name));
        Lxc.requireInstalled();
        new ContainerRemover().destroy(container);
        System.out.println("destroyed container " + container.name());
        return 0;
    }
}
