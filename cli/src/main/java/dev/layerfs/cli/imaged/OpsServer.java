package dev.layerfs.cli.imaged;

import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The node an operations command (cluster, gc, lease) talks to, and the access options it talks with. */
public final class OpsServer {

    @Option(names = "--server", paramLabel = "URL", defaultValue = Servers.DEFAULT, description = "Any node (default: ${DEFAULT-VALUE}).")
    String server;

    @Mixin
    RegistryAccessOptions access = new RegistryAccessOptions();

    OpsApi api() {
        return new OpsApi(server, access);
    }
}
