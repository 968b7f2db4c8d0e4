package dev.layerfs.wire;

import dev.layerfs.testing.Cmd;
import dev.layerfs.testing.LiveUnion;
import dev.layerfs.testing.Tree;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * POSIX ACLs through a wire-engine mount are enforced by the kernel, as on the branch file
 * system: a named-user entry grants what the mode bits alone would refuse, and a changed or
 * removed ACL takes effect at once (the kernel's cached copy is replaced). jnr-fuse's protocol
 * (7.19) cannot ask for this, so the mount names its engine.
 */
@Timeout(60)
class PosixAclTest {

    private static final String ALICE = "1000";
    private static final String BOB = "1001";

    @TempDir
    Path tmp;
    private Path up;
    private Path base;
    private LiveUnion u;

    @BeforeEach
    void mount() throws Exception {
        up = Tree.dir(tmp, "up");
        base = Tree.dir(tmp, "base");
        Tree.write(base, "etc/secret", "for alice");
        Tree.chmod(base.resolve("etc/secret"), "rw-------");
        Cmd.ok("setfacl", "-m", "u:" + ALICE + ":r", base.resolve("etc/secret").toString());
        Tree.write(base, "etc/report", "quarterly");
        Tree.chmod(base.resolve("etc/report"), "rw-r-----");
        Tree.chmod(tmp, "rwxr-xr-x"); // other users must reach the mount point
        u = LiveUnion.mount(up + "=rw:" + base + "=ro", Tree.dir(tmp, "mnt"), "engine=wire");
        Tree.chmod(u.path(), "rwxr-xr-x");
    }

    @AfterEach
    void unmount() throws Exception {
        if (u != null) {
            u.close();
        }
    }

    @Test
    void aNamedUserEntryOfALowerFileGrantsReadingThatTheModeBitsRefuse() throws Exception {
        assertEquals("for alice", as(ALICE, "cat " + m("etc/secret")));
        assertTrue(as(BOB, "cat " + m("etc/secret") + " 2>&1 || true").contains("Permission denied"));
        assertTrue(Cmd.ok("getfacl", "-cpn", m("etc/secret").toString()).contains("user:" + ALICE + ":r--"));
    }

    @Test
    void anAclSetThroughTheMountIsCopiedUpAndEnforcedUntilRemoved() throws Exception {
        assertTrue(as(BOB, "cat " + m("etc/report") + " 2>&1 || true").contains("Permission denied"));

        Cmd.ok("setfacl", "-m", "u:" + BOB + ":r", m("etc/report").toString());
        assertTrue(Cmd.ok("getfacl", "-cpn", up.resolve("etc/report").toString()).contains("user:" + BOB + ":r--"),
                "the ACL lands on the copy in the writable branch");
        assertFalse(Cmd.ok("getfacl", "-cpn", base.resolve("etc/report").toString()).contains("user:" + BOB),
                "the read-only branch is untouched");
        assertEquals("quarterly", as(BOB, "cat " + m("etc/report")));

        Cmd.ok("setfacl", "-b", m("etc/report").toString());
        assertTrue(as(BOB, "cat " + m("etc/report") + " 2>&1 || true").contains("Permission denied"),
                "the kernel must not keep granting from a removed ACL");
    }

    @Test
    void filesCreatedThroughTheMountInheritTheDirectorysDefaultAcl() throws Exception {
        Files.createDirectory(m("shared"));
        Cmd.ok("setfacl", "-d", "-m", "u:" + ALICE + ":rwx", m("shared").toString());
        Cmd.ok("sh", "-c", "echo made > " + m("shared/new"));
        assertTrue(Cmd.ok("getfacl", "-cpn", m("shared/new").toString()).contains("user:" + ALICE + ":rwx"));
        assertEquals("made", as(ALICE, "cat " + m("shared/new")));
    }

    private Path m(String rel) {
        return u.resolve(rel);
    }

    private static String as(String uid, String script) throws Exception {
        return Cmd.ok("setpriv", "--reuid=" + uid, "--regid=" + uid, "--clear-groups", "sh", "-c", script);
    }
}
