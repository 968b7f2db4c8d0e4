package dev.layerfs.wire;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;

/**
 * What mount(2) gets for a wire mount, from the options that pass through to FUSE: the generic
 * flags (nosuid and nodev unless {@code suid}/{@code dev} are given, as libfuse does), the
 * fuse file system's own options, and the names shown in the mount table. libfuse-only options
 * (big_writes, kernel_cache, max_read, ...) have no meaning here and are ignored.
 */
record MountFlags(long mountFlags, String data, String fsname, String subtype, int uid, int gid) {

    private static final Logger LOG = LoggerFactory.getLogger(MountFlags.class);

    static MountFlags of(List<String> passThrough, boolean asRoot) {
        long flags = KernelCalls.MS_NOSUID | KernelCalls.MS_NODEV;
        boolean allowOther = asRoot && !passThrough.contains("noallow_other");
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
                case "allow_other" -> allowOther = true;
                case "noallow_other", "engine" -> {
                    // handled above / chose this engine
                }
                case "fsname" -> fsname = value;
                case "subtype" -> subtype = value;
                default -> LOG.debug("mount option {} means nothing to the wire engine; ignored", opt);
            }
        }
        String data = (allowOther ? ",allow_other" : "") + (asRoot ? ",default_permissions" : "");
        int uid = asRoot ? 0 : (int) new com.sun.security.auth.module.UnixSystem().getUid();
        int gid = asRoot ? 0 : (int) new com.sun.security.auth.module.UnixSystem().getGid();
        return new MountFlags(flags, data, fsname, subtype, uid, gid);
    }
}
