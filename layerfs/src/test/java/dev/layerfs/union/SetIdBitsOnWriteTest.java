package dev.layerfs.union;

import dev.layerfs.testing.Cmd;
import dev.layerfs.testing.Tree;
import dev.layerfs.testing.UnionCase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What Linux does to a changed file's privileges, through the union as on any file system: a
 * write, truncate or truncating open by an unprivileged user clears set-user-ID, and set-group-ID
 * when the group may execute; chown clears set-user-ID even for root; root's own writes keep them;
 * a write clears a file capability. (With the wire engine the daemon does the clearing the kernel
 * asks for, FUSE_HANDLE_KILLPRIV_V2, instead of the kernel asking for the mode and xattrs first.)
 */
@Timeout(60)
class SetIdBitsOnWriteTest extends UnionCase {

    /** A valid VFS_CAP_REVISION_2 value granting cap_net_raw, as setcap would write it. */
    private static final String CAP_NET_RAW = "0x0100000200200000000000000000000000000000";

    @Override
    protected void populate() throws Exception {
        for (String name : new String[] {"suid", "sgid-exec", "sgid-noexec", "root-writes", "truncated", "opened", "chowned", "again"}) {
            Tree.write(base, "bin/" + name, "tool " + name + "\n");
        }
        mode(base.resolve("bin/suid"), 04777);
        mode(base.resolve("bin/sgid-exec"), 02777);
        mode(base.resolve("bin/sgid-noexec"), 02767);
        mode(base.resolve("bin/root-writes"), 06777);
        mode(base.resolve("bin/truncated"), 04777);
        mode(base.resolve("bin/opened"), 04777);
        mode(base.resolve("bin/chowned"), 04755);
        mode(base.resolve("bin/again"), 04777);
        Tree.write(base, "bin/capable", "capable\n");
        mode(base.resolve("bin/capable"), 0777);
        Cmd.ok("setfattr", "-n", "security.capability", "-v", CAP_NET_RAW, base.resolve("bin/capable").toString());
    }

    private static void mode(Path p, int mode) throws Exception {
        Files.setAttribute(p, "unix:mode", mode);
    }

    private int modeOf(String rel) throws Exception {
        return (Integer) Files.getAttribute(m(rel), "unix:mode") & 07777;
    }

    /** Runs {@code script} as uid/gid 1000, without any capability. */
    private void asUser(String script) throws Exception {
        Tree.chmod(tmp, "rwxr-xr-x"); // let user 1000 reach the mount point
        Tree.chmod(u.path(), "rwxr-xr-x");
        Cmd.ok("setpriv", "--reuid=1000", "--regid=1000", "--clear-groups", "sh", "-c", script);
    }

    @Test
    void anUnprivilegedWriteClearsSetUserIdAndExecutableSetGroupId() throws Exception {
        asUser("echo more >> " + m("bin/suid") + " && echo more >> " + m("bin/sgid-exec")
                + " && echo more >> " + m("bin/sgid-noexec"));
        assertEquals(0777, modeOf("bin/suid"), "set-user-ID cleared");
        assertEquals(0777, modeOf("bin/sgid-exec"), "set-group-ID cleared where the group may execute");
        assertEquals(02767, modeOf("bin/sgid-noexec"), "set-group-ID kept where the group may not execute");
        assertEquals(0777, (Integer) Files.getAttribute(up.resolve("bin/suid"), "unix:mode") & 07777, "in the branch too");
        assertEquals("tool suid\nmore\n", Tree.read(m("bin/suid")));
    }

    @Test
    void rootsOwnWritesKeepTheBits() throws Exception {
        Files.writeString(m("bin/root-writes"), "more\n", java.nio.file.StandardOpenOption.APPEND);
        assertEquals(06777, modeOf("bin/root-writes"));
    }

    @Test
    void anUnprivilegedTruncateOrTruncatingOpenClearsSetUserId() throws Exception {
        asUser("truncate -s 2 " + m("bin/truncated") + " && : > " + m("bin/opened"));
        assertEquals(0777, modeOf("bin/truncated"));
        assertEquals(2, Files.size(m("bin/truncated")));
        assertEquals(0777, modeOf("bin/opened"));
        assertEquals(0, Files.size(m("bin/opened")));
    }

    @Test
    void chownClearsSetUserIdEvenForRoot() throws Exception {
        Cmd.ok("chown", "42:42", m("bin/chowned").toString());
        assertEquals(0755, modeOf("bin/chowned"));
        assertEquals(42, Files.getAttribute(m("bin/chowned"), "unix:uid"));
    }

    @Test
    void setUserIdSetAgainAfterAWriteIsClearedByTheNextWrite() throws Exception {
        asUser("echo one >> " + m("bin/again"));
        assertEquals(0777, modeOf("bin/again"));
        Cmd.ok("chmod", "4777", m("bin/again").toString());
        assertEquals(04777, modeOf("bin/again"));
        asUser("echo two >> " + m("bin/again"));
        assertEquals(0777, modeOf("bin/again"), "the kernel must not skip the second write's check");
        assertEquals("tool again\none\ntwo\n", Tree.read(m("bin/again")));
    }

    @Test
    void aWriteClearsAFileCapability() throws Exception {
        assertTrue(Cmd.ok("getfattr", "-d", "-m", "security", "-e", "hex", m("bin/capable").toString())
                .contains("security.capability=" + CAP_NET_RAW));
        asUser("echo more >> " + m("bin/capable"));
        var r = Cmd.run("getfattr", "-n", "security.capability", m("bin/capable").toString());
        assertTrue(r.exit() != 0 && r.output().contains("No such attribute"), r.output());
    }
}
