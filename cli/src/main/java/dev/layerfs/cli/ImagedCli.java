package dev.layerfs.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code imaged} launcher: registry daemon, its clients and the LXC commands. */
@Command(name = "imaged",
        mixinStandardHelpOptions = true,
        versionProvider = Version.class,
        description = "OCI image registry with Raft-replicated metadata, and LXC containers from its images.",
        subcommands = {
                CommandLine.HelpCommand.class,
                dev.layerfs.cli.imaged.ServeCommand.class,
                dev.layerfs.cli.imaged.PushCommand.class,
                dev.layerfs.cli.imaged.PullCommand.class,
                dev.layerfs.cli.imaged.ClusterCommand.class,
                dev.layerfs.cli.imaged.GcCommand.class,
                dev.layerfs.cli.imaged.LeaseCommand.class,
                dev.layerfs.cli.lxc.LxcCommand.class,
        })
public final class ImagedCli {

    public static void main(String[] args) {
        System.exit(Launcher.run(new ImagedCli(), args));
    }
}
