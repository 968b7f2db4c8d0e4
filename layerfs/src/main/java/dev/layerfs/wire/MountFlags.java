package dev.layerfs.wire;

import dev.layerfs.mount.MountException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Set;

/**
 * What mount(2) gets for a wire mount, from the options that pass through to FUSE: the generic
 * flags (nosuid and nodev unless {@code suid}/{@code dev} are given, as libfuse does), the
 * fuse file system's own options, and the names shown in the mount table. libfuse 2's own
 * options (big_writes, kernel_cache, max_read, ...) have no meaning here and are ignored, so a
 * mount line works on either engine; an option neither knows is refused, as libfuse does.
 */
record MountFlags(long mountFlags, String data, String fsname, String subtype, int uid, int gid) {

    private static final Logger LOG = LoggerFactory.getLogger(MountFlags.class);

    /** The options libfuse 2 knows (fuse_mount, fuse_lowlevel, fuse high-level), by name. */
    private static final Set<String> LIBFUSE_OPTIONS = Set.of(
            "allow_root", "auto_unmount", "nonempty", "blkdev", "blksize", "max_read", "large_read",
            "context", "fscontext", "defcontext", "rootcontext", "async", "debug",
            "max_write", "max_readahead", "max_background", "congestion_threshold", "async_read",
            "sync_read", "atomic_o_trunc", "no_remote_lock", "no_remote_flock", "no_remote_posix_lock",
            "big_writes", "splice_write", "no_splice_write", "splice_move", "no_splice_move",
            "splice_read", "no_splice_read", "auto_inval_data", "no_auto_inval_data", "readdirplus",
            "async_dio", "no_async_dio", "writeback_cache", "no_writeback_cache", "time_gran",
            "hard_remove", "use_ino", "readdir_ino", "direct_io", "kernel_cache", "auto_cache",
            "noauto_cache", "umask", "uid", "gid", "ac_attr_timeout", "noforget", "remember", "nopath",
            "intr", "intr_signal", "modules");

    static MountFlags of(List<String> passThrough, boolean asRoot) {
        long flags = KernelCalls.MS_NOSUID | KernelCalls.MS_NODEV;
        boolean allowOther = asRoot && !passThrough.contains("noallow_other");
        boolean defaultPermissions = asRoot;
        String fsname = "layerfs";
        String subtype = "layerfs";
        for (String opt : passThrough) {
            int eq = opt.indexOf('=');
            String key = eq < 0 ? opt : opt.substring(0, eq);
            String value = eq < 0 ? "" : opt.substring(eq + 1);
            switch (key) {
                case "suid" -> flags &= ~KernelCalls.MS_NOSUID;
                case "nosuid" -> flags |= KernelCalls.MS_NOSUID;
                case "dev" -> flags &= ~KernelCalls.MS_NODEV;
                case "nodev" -> flags |= KernelCalls.MS_NODEV;
                case "exec" -> flags &= ~KernelCalls.MS_NOEXEC;
                case "noexec" -> flags |= KernelCalls.MS_NOEXEC;
                case "ro" -> flags |= KernelCalls.MS_RDONLY;
                case "rw" -> flags &= ~KernelCalls.MS_RDONLY;
                case "noatime" -> flags |= KernelCalls.MS_NOATIME;
                case "atime" -> flags &= ~KernelCalls.MS_NOATIME;
                case "sync" -> flags |= KernelCalls.MS_SYNCHRONOUS;
                case "dirsync" -> flags |= KernelCalls.MS_DIRSYNC;
                case "allow_other" -> allowOther = true;
                case "default_permissions" -> defaultPermissions = true;
                case "noallow_other", "engine" -> {
                    // handled above / chose this engine
                }
                case "fsname" -> fsname = value;
                case "subtype" -> subtype = value;
                default -> {
                    if (!LIBFUSE_OPTIONS.contains(key)) {
                        throw new MountException("unknown mount option " + opt + " (neither layerfs nor FUSE knows it)");
                    }
                    LOG.debug("mount option {} means nothing to the wire engine; ignored", opt);
                }
            }
        }
        String data = (allowOther ? ",allow_other" : "") + (defaultPermissions ? ",default_permissions" : "");
        int uid = asRoot ? 0 : (int) new com.sun.security.auth.module.UnixSystem().getUid();
        int gid = asRoot ? 0 : (int) new com.sun.security.auth.module.UnixSystem().getGid();
        return new MountFlags(flags, data, fsname, subtype, uid, gid);
    }
}
