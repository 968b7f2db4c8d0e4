package dev.layerfs.cli.layerfs;

import dev.layerfs.branch.BranchSpecException;
import dev.layerfs.cli.UserError;
import dev.layerfs.control.BranchEdit;
import dev.layerfs.control.ControlClient;
import dev.layerfs.control.ControlException;
import dev.layerfs.control.ControlRequest;
import dev.layerfs.mount.MountException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.List;

/**
 * {@code layerfs branch add|del|mod|list MOUNTPOINT ...}: changes the branches of a mounted union
 * through its daemon's control socket, AUFS style. Prints the branches after the change.
 */
@Command(name = "branch", mixinStandardHelpOptions = true,
        description = {"Show or change the branches of a mounted union (the daemon applies it live).",
                "Examples: layerfs branch add /ct/rootfs --at 1 /images/patch=ro",
                "          layerfs branch del /ct/rootfs /images/patch",
                "          layerfs branch mod /ct/rootfs /images/base=rr"},
        footer = {"A branch with files or directories open through the mount is busy: del, and",
                "mod from rw, answer EBUSY naming it, unless --force (its open files then",
                "still read, but no longer write). Names the kernel has cached follow within",
                "entry_timeout / negative_timeout (60 s by default); listings at once.",
                "Same as: mount -o remount,add:1:/images/patch=ro /ct/rootfs",
                "(also append:DIR, prepend:DIR, del:DIR, mod:DIR=MODE)."})
public final class BranchCommand implements java.util.concurrent.Callable<Integer> {

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    /** Without a subcommand: say which exist. */
    @Override
    public Integer call() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "missing subcommand: add, del, mod or list");
    }


    @Command(name = "add", mixinStandardHelpOptions = true,
            description = "Add DIR as a branch, at the bottom unless --at says where (0 is the top).")
    int add(@Parameters(index = "0", paramLabel = "MOUNTPOINT") Path mountPoint,
            @Parameters(index = "1", paramLabel = "DIR[=MODE]", description = "MODE: rw, ro (default) or rr") String branch,
            @Option(names = "--at", paramLabel = "INDEX", description = "Position: 0 is the top, 1 below it, ...") Integer at) {
        String option = at == null ? "append:" + branch : "add:" + at + ":" + branch;
        return change(mountPoint, option, false);
    }

    @Command(name = "del", mixinStandardHelpOptions = true, description = "Delete branch DIR from the union (its files stay on disk).")
    int del(@Parameters(index = "0", paramLabel = "MOUNTPOINT") Path mountPoint,
            @Parameters(index = "1", paramLabel = "DIR") String branch,
            @Option(names = "--force", description = "Even with files or directories open in it.") boolean force) {
        return change(mountPoint, "del:" + branch, force);
    }

    @Command(name = "mod", mixinStandardHelpOptions = true, description = "Change the mode of branch DIR.")
    int mod(@Parameters(index = "0", paramLabel = "MOUNTPOINT") Path mountPoint,
            @Parameters(index = "1", paramLabel = "DIR=MODE", description = "MODE: rw, ro or rr") String branch,
            @Option(names = "--force", description = "rw to ro/rr even with files open for writing in it.") boolean force) {
        return change(mountPoint, "mod:" + branch, force);
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "Print the branches, top first, in dirs= syntax.")
    int list(@Parameters(index = "0", paramLabel = "MOUNTPOINT") Path mountPoint) {
        return send(mountPoint, ControlRequest.show());
    }

    private static int change(Path mountPoint, String option, boolean force) {
        BranchEdit edit;
        try {
            edit = BranchEdit.parse(option, Path.of("").toAbsolutePath());
        } catch (BranchSpecException e) {
            throw new UserError(e.getMessage(), e);
        }
        return send(mountPoint, ControlRequest.change(List.of(edit), force));
    }

    private static int send(Path mountPoint, ControlRequest request) {
        try {
            System.out.println(ControlClient.send(mountPoint, request).strip());
            return 0;
        } catch (ControlException | MountException e) {
            throw new UserError(e.getMessage(), e);
        }
    }
}
