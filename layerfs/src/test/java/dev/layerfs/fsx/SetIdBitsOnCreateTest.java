package dev.layerfs.fsx;

import dev.layerfs.testing.Cmd;
import dev.layerfs.testing.Tree;
import dev.layerfs.testing.UnionCase;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Found by the long random run (seeds 109, 201, 203, 204, 208 at 5000 steps): a file keeps the
 * set-user-ID and set-group-ID bits it is created with, as on the branch's own file system,
 * also when the union gives it an owner other than root:root (a set-group-ID parent directory
 * with another group, or a caller other than root). Changing a file's owner clears those bits
 * (chown(2)), so giving the new file its owner after creating it must not lose them.
 */
@Timeout(60)
class SetIdBitsOnCreateTest extends UnionCase {

    private static final String PYTHON = "/usr/bin/python3";

    @Override
    protected void populate() throws Exception {
        Tree.dir(base, "shared");
        Tree.dir(base, "open");
    }

    private static void create(Path p, String mode, String... asUser) throws Exception {
        String code = "import os, sys; os.close(os.open(sys.argv[1], os.O_CREAT | os.O_EXCL | os.O_WRONLY, " + mode + "))";
        String[] cmd = asUser.length == 0 ? new String[] {PYTHON, "-c", code, p.toString()}
                : new String[] {"setpriv", "--reuid=" + asUser[0], "--regid=" + asUser[0], "--clear-groups", PYTHON, "-c", code, p.toString()};
        Cmd.ok(cmd);
    }

    private int mode(String rel) throws Exception {
        return (Integer) Files.getAttribute(m(rel), "unix:mode") & 07777;
    }

    @Test
    void aSetUidFileCreatedInASetGidDirectoryOfAnotherGroupKeepsItsBits() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of(PYTHON)), "SKIPPED: " + PYTHON + " is absent");
        Files.setAttribute(m("shared"), "unix:gid", 1000);
        Files.setAttribute(m("shared"), "unix:mode", 02775);
        create(m("shared/tool"), "0o4755");
        assertEquals(1000, Files.getAttribute(m("shared/tool"), "unix:gid"), "group inherited from the set-group-ID directory");
        assertEquals(04755, mode("shared/tool"), "mode of a file created 04755 by root");
    }

    @Test
    void aSetUidFileCreatedByAnotherUserKeepsItsBits() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of(PYTHON)) && Files.isExecutable(Path.of("/usr/bin/setpriv")),
                "SKIPPED: " + PYTHON + " or setpriv is absent");
        Files.setAttribute(tmp, "unix:mode", 0755); // let the other user reach the mount point
        Files.setAttribute(m(""), "unix:mode", 0755);
        Files.setAttribute(m("open"), "unix:mode", 0777);
        create(m("open/mine"), "0o4755", "1000");
        assertEquals(1000, Files.getAttribute(m("open/mine"), "unix:uid"));
        assertEquals(04755, mode("open/mine"), "mode of a file its owner created 04755");
    }
}
