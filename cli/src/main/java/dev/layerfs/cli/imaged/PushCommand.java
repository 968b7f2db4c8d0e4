package dev.layerfs.cli.imaged;

import dev.layerfs.cli.UserError;
import dev.layerfs.imaged.client.ImagePusher;
import dev.layerfs.imaged.client.ImageRef;
import dev.layerfs.imaged.client.LayerDigestCache;
import dev.layerfs.imaged.client.Progress;
import dev.layerfs.imaged.client.PushResult;
import dev.layerfs.imaged.client.RegistryClient;
import dev.layerfs.imaged.client.RegistryException;
import dev.layerfs.imaged.layer.LayerRefusedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code imaged push [--server URL] SOURCE REPO:TAG [--base REPO:TAG]}. */
@Command(name = "push", mixinStandardHelpOptions = true,
        description = {"Push a directory (packed as one OCI layer: whiteouts, owners, modes, times, xattrs, links and "
                + "devices kept) or a layer tar (.tar, .tar.gz) as the image REPO:TAG.",
                "With --base, the layer is stacked on top of that image's layers.",
                "A layer tar pushed before and unchanged since (same path, inode, size and times; digests kept in "
                        + "$XDG_CACHE_HOME/imaged/layer-digests) is not sent again when the registry has its blob."})
public final class PushCommand implements Callable<Integer> {

    @Option(names = "--server", paramLabel = "URL", defaultValue = Servers.DEFAULT,
            description = "Registry to push to (default: ${DEFAULT-VALUE}, the local imaged).")
    String server;

    @Option(names = "--base", paramLabel = "REPO:TAG", description = "Image (on the same registry) to stack the new layer on.")
    String base;

    @Mixin
    RegistryAccessOptions access;

    @Parameters(index = "0", paramLabel = "SOURCE", description = "A directory, or a layer .tar / .tar.gz.")
    Path source;

    @Parameters(index = "1", paramLabel = "REPO:TAG", description = "The image to write.")
    String target;

    @Override
    public Integer call() throws Exception {
        ImageRef ref = Servers.image(target);
        if (ref.isByDigest()) {
            throw new UserError("push target " + target + " must name a tag (REPO:TAG), not a digest");
        }
        Optional<ImageRef> baseRef = Optional.ofNullable(base).map(Servers::image);
        RegistryClient registry = new RegistryClient(Servers.url(server), access.access());
        if (!Files.exists(source, LinkOption.NOFOLLOW_LINKS)) {
            throw new UserError("push source " + source + " does not exist");
        }
        if (!Files.isDirectory(source) && !Files.isRegularFile(source)) {
            throw new UserError("push source " + source + " is neither a directory nor a layer tar");
        }
        PushResult result;
        try {
            result = new ImagePusher(registry, Progress.forTerminal(), LayerDigestCache.forUser()).push(source, ref, baseRef);
        } catch (RegistryException e) {
            RegistryAccessOptions.explainRefusal(e, server);
            if (e.isNotFound() && baseRef.isPresent()) {
                throw new UserError("base image " + baseRef.get() + " not found on " + server + " (" + e.code() + ")", e);
            }
            throw e;
        } catch (LayerRefusedException e) {
            throw new UserError(e.getMessage(), e);
        }
        // The index lets a reader on any node see this push: imaged pull --min-index N.
        System.out.println("pushed " + ref + " " + result.manifestDigest() + " (" + result.manifest().layers().size() + " layers)"
                + registry.writeIndex().stream().mapToObj(i -> " at index " + i).findFirst().orElse(""));
        return 0;
    }
}
