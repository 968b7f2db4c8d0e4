package dev.layerfs.cli.lxc;

import dev.layerfs.cli.UserError;
import dev.layerfs.cli.imaged.DurationConverter;
import dev.layerfs.cli.imaged.RegistryAccessOptions;
import dev.layerfs.cli.imaged.Servers;
import dev.layerfs.imaged.client.ImageRef;
import dev.layerfs.imaged.client.Progress;
import dev.layerfs.imaged.client.PulledImage;
import dev.layerfs.imaged.client.RegistryException;
import dev.layerfs.imaged.layer.DataDirs;
import dev.layerfs.imaged.layer.LayerStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;

/** {@code imaged lxc create NAME --image REPO:TAG}: a container on the image's shared layers. */
@Command(name = "create",
        mixinStandardHelpOptions = true,
        description = {"Pulls REPO:TAG into the shared layer store (layers already there are not fetched again) and creates"
                + " the LXC container NAME: a private writable branch <lxcpath>/NAME/delta over the image's layers,"
                + " a config and hooks that mount the union before it starts and unmount it after it stops.",
                "Then `lxc-start -n NAME` or `lxc-execute -n NAME -- CMD` just work."})
public final class LxcCreateCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "NAME", description = "the container's name")
    String name;

    @Option(names = "--image", paramLabel = "REPO:TAG", required = true, description = "the image to run")
    String image;

    @Option(names = "--server", paramLabel = "URL", defaultValue = Servers.DEFAULT,
            description = "registry to pull from (default: ${DEFAULT-VALUE}, the local imaged)")
    String server;

    @Mixin
    RegistryAccessOptions access;

    @Option(names = {"-P", "--lxcpath"}, paramLabel = "DIR", description = "where LXC keeps containers (default: ${DEFAULT-VALUE})")
    Path lxcpath = ContainerDir.DEFAULT_LXCPATH;

    @Option(names = "--store", paramLabel = "DIR",
            description = "layer store (default: /var/lib/imaged/layers for root, as for imaged pull)")
    Path store;

    @Option(names = "--lease-ttl", paramLabel = "DURATION", defaultValue = "30s", converter = DurationConverter.class,
            description = "The container holds the lease lxc:NAME on the registry while it runs, renewed every third of"
                    + " this; another host may start it this long after this host stopped renewing (default: ${DEFAULT-VALUE}).")
    Duration leaseTtl;

    @Option(names = "--no-lease",
            description = "Start without the lease lxc:NAME: the container may then run on several hosts at once, and"
                    + " starts while the registry is unreachable (default: starting needs the lease).")
    boolean noLease;

    @Option(names = "--mount-host", paramLabel = "SOCKET", arity = "0..1", fallbackValue = "",
            description = "Serve the container's union from the running mount host (`layerfs host`; default socket"
                    + " /run/layerfs/host.sock): one process for every container's union instead of a daemon each,"
                    + " ~2 MiB per union instead of ~36; a crash of the host ends them all.")
    String mountHost;

    @Override
    public Integer call() throws Exception {
        ContainerDir container = new ContainerDir(lxcpath, new ContainerName(name));
        ImageRef ref = Servers.image(image);
        Lxc.requireInstalled();
        if (!noLease && (leaseTtl.toMillis() < 1000 || leaseTtl.toDays() > 7)) {
            throw new UserError("--lease-ttl " + leaseTtl.toMillis() + " ms is outside 1 s - 7 days");
        }
        URI url = Servers.url(server);
        Optional<ContainerWriter.LeaseFiles> lease = noLease ? Optional.empty() : Optional.of(new ContainerWriter.LeaseFiles(
                ContainerLease.fresh(url, leaseTtl, access.tokenFile(), access.caFile()), HookLauncher.IMAGED.find()));
        ContainerWriter writer = new ContainerWriter(TemplateStore.installed(), HookLauncher.LAYERFS.find(), "imaged lxc create");
        LayerStore layers = new LayerStore(store != null ? store : DataDirs.defaultLayerStore());
        PulledImage pulled;
        try {
            pulled = new ContainerCreator(writer, layers, Progress.forTerminal(), access.access())
                    .create(container, ref, url, lease, Optional.ofNullable(mountHost).map(MountHost::parse));
        } catch (RegistryException e) {
            RegistryAccessOptions.explainRefusal(e, server);
            if (e.isNotFound()) {
                throw new UserError("image " + ref + " not found on " + server + " (" + e.code() + ")", e);
            }
            throw e;
        }
        System.out.println("created container " + container.name() + " from " + ref + " " + pulled.manifestDigest()
                + " (" + pulled.layersTopFirst().size() + " shared layers" + (noLease ? ", no lease" : ", lease " + container.leaseName())
                + "); start it with: lxc-start "
                + container.lxcpathOption() + "-n " + container.name());
        return 0;
    }
}
