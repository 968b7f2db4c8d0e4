package dev.layerfs.fsx;

import dev.layerfs.testing.Cmd;
import dev.layerfs.testing.Tree;
import dev.layerfs.testing.UnionCase;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A file capability set through one name of a hard link is seen through its other names: the
 * kernel looks up security.capability before running a file, so a stale "has none" answer
 * would run a setcap'ed program without its capability.
 */
@Timeout(60)
class CapabilityThroughHardLinkTest extends UnionCase {

    @Override
    protected void populate() throws Exception {
        Tree.write(base, "bin/tool", "#!/bin/sh\n");
    }

    @Test
    void capabilitySetThroughOneNameShowsThroughTheOther() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/sbin/setcap")), "SKIPPED: setcap (libcap2-bin) is not installed");
        Files.createLink(m("bin/other"), m("bin/tool"));
        Cmd.run("getcap", m("bin/other").toString()); // the union now remembers: no capability here
        Cmd.ok("setcap", "cap_net_raw+ep", m("bin/tool").toString());
        String through = Cmd.ok("getcap", m("bin/other").toString());
        assertTrue(through.contains("cap_net_raw"), "getcap through the other name: '" + through + "'");
    }
}
