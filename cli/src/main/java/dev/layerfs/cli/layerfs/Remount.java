package dev.layerfs.cli.layerfs;

import dev.layerfs.branch.BranchSpecException;
import dev.layerfs.cli.UserError;
import dev.layerfs.control.BranchEdit;
import dev.layerfs.control.ControlClient;
import dev.layerfs.control.ControlException;
import dev.layerfs.control.ControlRequest;
import dev.layerfs.mount.MountException;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code layerfs mount -o remount,add:1:/dir=ro MOUNTPOINT}, as mount(8) passes it through the
 * helper: the branch edits among the options go to the daemon together (all or nothing). The
 * other options (mount(8) repeats the fstab or current ones) cannot change on a mounted union
 * and are ignored.
 */
final class Remount {

    private Remount() {
    }

    static boolean asked(List<String> optionLists) {
        return items(optionLists).contains("remount");
    }

    static void apply(Path mountPoint, List<String> optionLists) {
        List<BranchEdit> edits = new ArrayList<>();
        try {
            for (String item : items(optionLists)) {
                if (BranchEdit.isEdit(item)) {
                    edits.add(BranchEdit.parse(item, Path.of("").toAbsolutePath()));
                }
            }
        } catch (BranchSpecException e) {
            throw new UserError(e.getMessage(), e);
        }
        try {
            if (edits.isEmpty()) {
                ControlClient.send(mountPoint, ControlRequest.show()); // still says whether it is a live layerfs mount
            } else {
                ControlClient.send(mountPoint, ControlRequest.change(edits, false));
            }
        } catch (ControlException | MountException e) {
            throw new UserError(e.getMessage(), e);
        }
    }

    private static List<String> items(List<String> optionLists) {
        List<String> out = new ArrayList<>();
        for (String list : optionLists) {
            out.addAll(List.of(list.split(",")));
        }
        return out;
    }
}
