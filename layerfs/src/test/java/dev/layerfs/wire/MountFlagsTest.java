package dev.layerfs.wire;

import dev.layerfs.mount.MountException;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MountFlagsTest {

    @Test
    void aContainerRootfsGetsSuidAndDevicesAndRootSharesTheMount() {
        MountFlags f = MountFlags.of(List.of("suid", "dev", "engine=wire"), true);
        assertEquals(0, f.mountFlags() & (KernelCalls.MS_NOSUID | KernelCalls.MS_NODEV));
        assertEquals(",allow_other,default_permissions", f.data());
        MountFlags plain = MountFlags.of(List.of(), true);
        assertEquals(KernelCalls.MS_NOSUID | KernelCalls.MS_NODEV, plain.mountFlags(), "as libfuse: nosuid,nodev unless asked");
    }

    @Test
    void libfuseOptionsAreAcceptedSoAMountLineWorksOnEitherEngine() {
        MountFlags f = MountFlags.of(List.of("kernel_cache", "big_writes", "max_read=131072", "nonempty", "fsname=ct1"), false);
        assertEquals("ct1", f.fsname());
        assertEquals("", f.data(), "not root: no allow_other, no default_permissions unless asked");
        assertEquals(",default_permissions", MountFlags.of(List.of("default_permissions"), false).data());
    }

    @Test
    void anOptionNeitherLayerfsNorFuseKnowsIsRefusedByName() {
        MountException e = assertThrows(MountException.class, () -> MountFlags.of(List.of("suid", "bogus_opt"), true));
        assertTrue(e.getMessage().contains("bogus_opt"), e.getMessage());
    }
}
