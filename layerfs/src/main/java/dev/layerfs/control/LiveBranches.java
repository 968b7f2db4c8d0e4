package dev.layerfs.control;

import dev.layerfs.branch.BranchStack;
import dev.layerfs.fuse.LayerFuse;
import dev.layerfs.sys.ErrnoException;
import dev.layerfs.union.UnionFs;

import java.nio.file.Path;
import java.time.Duration;

/**
 * What the daemon does with a control request: apply the edits to the union's current branches
 * (checked as at mount), swap them in once the operations in flight are done, and drop what the
 * FUSE layer cached about files.
 */
public final class LiveBranches implements ControlServer.Handler {

    /** How long a change waits for operations in flight (e.g. a large directory rename) before EBUSY. */
    static final Duration WAIT = Duration.ofSeconds(10);

    private final UnionFs union;
    private final LayerFuse fuse;
    private final Path mountPoint;

    public LiveBranches(UnionFs union, LayerFuse fuse, Path mountPoint) {
        this.union = union;
        this.fuse = fuse;
        this.mountPoint = mountPoint;
    }

    @Override
    public String handle(ControlRequest request) throws ErrnoException {
        if (!request.change()) {
            return union.stack().spec();
        }
        // Checked outside the stack lock: resolving a path may go through this very mount.
        BranchStack next = BranchEdits.apply(union.stack(), request.edits(), mountPoint);
        union.changeBranches(next, request.force(), WAIT);
        fuse.branchesChanged();
        return next.spec();
    }
}
