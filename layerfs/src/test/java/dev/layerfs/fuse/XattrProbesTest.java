package dev.layerfs.fuse;

import dev.layerfs.testing.Cmd;
import dev.layerfs.testing.Tree;
import dev.layerfs.testing.UnionCase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The kernel's own xattr probes are answered from memory, but never hide a real attribute. */
@Timeout(60)
class XattrProbesTest extends UnionCase {

    /** A valid VFS_CAP_REVISION_2 value granting cap_net_raw, as setcap would write it. */
    private static final String CAP_NET_RAW = "0x0100000200200000000000000000000000000000";

    @Override
    protected void populate() throws Exception {
        Tree.write(base, "bin/ping", "ping");
        Tree.write(base, "bin/plain", "plain");
        Cmd.ok("setfattr", "-n", "security.capability", "-v", CAP_NET_RAW, base.resolve("bin/ping").toString());
    }

    private String cap(String rel) throws Exception {
        return Cmd.run("getfattr", "-e", "hex", "-n", "security.capability", "--only-values", "--absolute-names",
                m(rel).toString()).output();
    }

    @Test
    void realCapabilitiesAreReportedAndAbsentOnesAnswerNoData() throws Exception {
        for (int i = 0; i < 3; i++) { // the second and third answers come from the probe cache
            assertTrue(Cmd.ok("getfattr", "-d", "-m", "security", "-e", "hex", m("bin/ping").toString())
                    .contains("security.capability=" + CAP_NET_RAW), "ping keeps its capability");
            var r = Cmd.run("getfattr", "-n", "security.capability", m("bin/plain").toString());
            assertTrue(r.exit() != 0 && r.output().contains("No such attribute"), r.output());
        }
    }

    @Test
    void settingAnAttributeAfterAProbeIsSeenAtOnce() throws Exception {
        var r = Cmd.run("getfattr", "-n", "security.capability", m("bin/plain").toString());
        assertTrue(r.exit() != 0, r.output());
        Cmd.ok("setfattr", "-n", "security.capability", "-v", CAP_NET_RAW, m("bin/plain").toString());
        assertTrue(Cmd.ok("getfattr", "-d", "-m", "security", "-e", "hex", m("bin/plain").toString())
                .contains("security.capability=" + CAP_NET_RAW));
        Cmd.ok("setfattr", "-x", "security.capability", m("bin/plain").toString());
        assertTrue(Cmd.run("getfattr", "-n", "security.capability", m("bin/plain").toString()).exit() != 0);
    }

    @Test
    void aFileReplacedByRenameShowsItsOwnAttributes() throws Exception {
        assertTrue(Cmd.run("getfattr", "-n", "security.capability", m("bin/plain").toString()).exit() != 0);
        Cmd.ok("mv", m("bin/ping").toString(), m("bin/plain").toString());
        assertTrue(Cmd.ok("getfattr", "-d", "-m", "security", "-e", "hex", m("bin/plain").toString())
                .contains("security.capability=" + CAP_NET_RAW));
        assertEquals("ping", Tree.read(m("bin/plain")));
    }

    @Test
    void anAttributeSetThroughOneNameOfAHardLinkShowsThroughTheOther() throws Exception {
        java.nio.file.Files.createLink(m("bin/other"), m("bin/plain"));
        assertTrue(Cmd.run("getfattr", "-n", "security.capability", m("bin/other").toString()).exit() != 0);
        Cmd.ok("setfattr", "-n", "security.capability", "-v", CAP_NET_RAW, m("bin/plain").toString());
        assertTrue(Cmd.ok("getfattr", "-d", "-m", "security", "-e", "hex", m("bin/other").toString())
                .contains("security.capability=" + CAP_NET_RAW), "the kernel asks this before exec: it must not be stale");
    }
}
