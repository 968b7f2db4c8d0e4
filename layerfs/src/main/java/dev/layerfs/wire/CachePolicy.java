package dev.layerfs.wire;

import dev.layerfs.mount.MountOptions;
import dev.layerfs.sys.Stat;

/**
 * How long the kernel may keep what the union told it. Names and attributes are kept for the
 * mount's timeouts, except the attributes of a file with several names: each name is its own
 * kernel inode (see {@link NodeTable}), so a change through one name must be seen at once
 * through the others. Page cache and directory listings are kept across opens unless the mount
 * revalidates quickly (udba=reval: branches may change behind the mount's back).
 */
record CachePolicy(double entry, double attr, double negative, boolean keepPages) {

    static CachePolicy of(MountOptions o) {
        return new CachePolicy(o.entryTimeout(), o.attrTimeout(), o.negativeTimeout(),
                o.attrTimeout() > MountOptions.REVAL_TIMEOUT && o.entryTimeout() > MountOptions.REVAL_TIMEOUT);
    }

    double attrFor(Stat st) {
        return st.nlink() > 1 && !st.isDirectory() ? 0 : attr;
    }
}
