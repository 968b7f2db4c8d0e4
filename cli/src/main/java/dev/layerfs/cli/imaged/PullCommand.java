package dev.layerfs.cli.imaged;

import dev.layerfs.cli.UserError;
import dev.layerfs.imaged.client.ImagePuller;
import dev.layerfs.imaged.client.ImageRef;
import dev.layerfs.imaged.client.Progress;
import dev.layerfs.imaged.client.PulledImage;
import dev.layerfs.imaged.client.RegistryClient;
import dev.layerfs.imaged.client.RegistryException;
import dev.layerfs.imaged.layer.DataDirs;
import dev.layerfs.imaged.layer.LayerStore;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code imaged pull [--server URL] [--store DIR] REPO:TAG}: the last line of stdout is the layerfs branch list. */
@Command(name = "pull", mixinStandardHelpOptions = true,
        description = {"Download and verify every layer of REPO:TAG, unpack each once into the shared layer store, "
                + "and print as the last line the read-only layerfs branch list, top layer first:",
                "  layerfs mount -o dirs=/container/delta=rw:<that line> /mnt"})
public final class PullCommand implements Callable<Integer> {

    @Option(names = "--server", paramLabel = "URL", defaultValue = Servers.DEFAULT,
            description = "Registry to pull from (default: ${DEFAULT-VALUE}, the local imaged).")
    String server;

    @Option(names = "--store", paramLabel = "DIR",
            description = "Layer store (default: /var/lib/imaged/layers for root, $XDG_DATA_HOME/imaged/layers otherwise).")
    Path store;

    @Mixin
    RegistryAccessOptions access;

    @Mixin
    ReadOptions read = new ReadOptions();

    @Parameters(index = "0", paramLabel = "REPO:TAG", description = "The image to pull.")
    String image;

    @Override
    public Integer call() throws Exception {
        ImageRef ref = Servers.image(image);
        RegistryClient registry = new RegistryClient(Servers.url(server), access.access()).withHeaders(read.headers());
        LayerStore layers = new LayerStore(store != null ? store : DataDirs.defaultLayerStore());
        PulledImage pulled;
        try {
            pulled = new ImagePuller(registry, layers, Progress.forTerminal()).pull(ref);
        } catch (RegistryException e) {
            RegistryAccessOptions.explainRefusal(e, server);
            if (e.isNotFound()) {
                throw new UserError("image " + ref + " not found on " + server + " (" + e.code() + ")", e);
            }
            throw e;
        }
        System.out.println("pulled " + ref + " " + pulled.manifestDigest() + " (" + pulled.layersTopFirst().size() + " layers)");
        System.out.println(pulled.branchLine());
        return 0;
    }
}
