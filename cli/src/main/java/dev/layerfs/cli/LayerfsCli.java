package dev.layerfs.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code layerfs} launcher: a switchboard of subcommands, each in its own class. */
@Command(name = "layerfs",
        mixinStandardHelpOptions = true,
        versionProvider = Version.class,
        description = "AUFS-compatible union filesystem over FUSE.",
        subcommands = {
                CommandLine.HelpCommand.class,
                dev.layerfs.cli.layerfs.MountCommand.class,
                dev.layerfs.cli.layerfs.UmountCommand.class,
                dev.layerfs.cli.layerfs.BranchCommand.class,
                dev.layerfs.cli.layerfs.HostCommand.class,
                dev.layerfs.cli.lxc.LxcConfigCommand.class,
        })
public final class LayerfsCli {

    public static void main(String[] args) {
        System.exit(Launcher.run(new LayerfsCli(), args));
    }
}
