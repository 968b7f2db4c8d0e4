package dev.layerfs.cli.lxc;

import dev.layerfs.cli.UserError;
import dev.layerfs.cli.imaged.RegistryAccessOptions;
import dev.layerfs.cli.imaged.Servers;
import dev.layerfs.imaged.client.ImageRef;
import dev.layerfs.imaged.client.Progress;
import dev.layerfs.imaged.client.PushResult;
import dev.layerfs.imaged.client.RegistryException;
import dev.layerfs.imaged.layer.LayerRefusedException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;

/** {@code imaged lxc commit NAME REPO:TAG}: the container's private branch as a new image. */
@Command(name = "commit",
        mixinStandardHelpOptions = true,
        description = {"Pushes the stopped container's private branch as one new layer on top of the image it was made"
                + " from (pinned by digest), as the image REPO:TAG, which `imaged lxc create` runs on any host."})
public final class LxcCommitCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "NAME", description = "the container's name")
    String name;

    @Parameters(index = "1", paramLabel = "REPO:TAG", description = "the image to write")
    String target;

    @Option(names = "--server", paramLabel = "URL",
            description = "registry to push to (default: the one the container's image came from)")
    String server;

    @Mixin
    RegistryAccessOptions access;

    @Option(names = {"-P", "--lxcpath"}, paramLabel = "DIR", description = "where LXC keeps containers (default: ${DEFAULT-VALUE})")
    Path lxcpath = ContainerDir.DEFAULT_LXCPATH;

    @Override
    public Integer call() throws Exception {
        ContainerDir container = new ContainerDir(lxcpath, new ContainerName(name));
        ImageRef ref = Servers.image(target);
        if (!Files.isRegularFile(container.config())) {
            throw new UserError("no container " + container.name() + " in " + container.lxcpath());
        }
        Lxc.requireInstalled();
        PushResult pushed;
        try {
            pushed = new ContainerCommitter(Progress.forTerminal(), access.access()).commit(container, ref, Optional.ofNullable(server).map(Servers::url));
        } catch (RegistryException e) {
            RegistryAccessOptions.explainRefusal(e, server == null ? "of the container's image" : server);
            if (e.isNotFound()) {
                throw new UserError("the image of container " + container.name() + " is no longer on the registry ("
                        + e.code() + "): " + e.getMessage(), e);
            }
            throw e;
        } catch (LayerRefusedException e) {
            throw new UserError(e.getMessage(), e);
        }
        System.out.println("committed container " + container.name() + " as " + ref + " " + pushed.manifestDigest()
                + " (" + pushed.manifest().layers().size() + " layers)");
        return 0;
    }
}
