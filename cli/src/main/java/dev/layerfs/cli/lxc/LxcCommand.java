package dev.layerfs.cli.lxc;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code imaged lxc ...}: LXC containers from imaged images. */
@Command(name = "lxc",
        mixinStandardHelpOptions = true,
        description = "LXC containers whose root filesystem is a layerfs union of an image's layers and a private writable branch.",
        subcommands = {
                CommandLine.HelpCommand.class,
                LxcCreateCommand.class,
                LxcCommitCommand.class,
                LxcDestroyCommand.class,
                LxcLeaseHookCommand.class,
        })
public final class LxcCommand {
}
