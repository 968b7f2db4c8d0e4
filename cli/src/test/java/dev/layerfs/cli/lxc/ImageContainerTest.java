package dev.layerfs.cli.lxc;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static dev.layerfs.cli.lxc.LayerfsContainerTest.concat;
import static dev.layerfs.cli.lxc.LayerfsContainerTest.entries;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Containers from imaged images, through the launchers as a user types them: {@code imaged lxc
 * create}, lxc-execute, {@code imaged lxc commit}, {@code imaged lxc destroy}, against a real
 * one-node imaged.
 */
@Timeout(value = 8, unit = TimeUnit.MINUTES)
class ImageContainerTest {

    @TempDir
    static Path shared;
    private static ImagedNode registry;
    private static Launchers launchers;

    @TempDir
    Path tmp;
    private Path lxcpath;
    private Path store;

    @BeforeAll
    static void registryWithABusyboxImage() throws IOException {
        RealLxc.assumeAvailable();
        launchers = Launchers.write(shared.resolve("bin"));
        assumeTrue(Host.run(launchers.layerfs().toString(), "mount", "--help").output().contains("Usage: layerfs mount"),
                "SKIPPED: this build has no `layerfs mount` command yet; the container tests need it");
        registry = ImagedNode.start(shared.resolve("imaged"));
        Path base = BusyboxRootfs.build(shared.resolve("base"));
        Host.run(launchers.imaged().toString(), "push", "--server", registry.url().toString(), base.toString(), "busybox:1").ok();
    }

    @AfterAll
    static void stopRegistry() {
        if (registry != null) {
            registry.close();
        }
    }

    @BeforeEach
    void dirs() throws IOException {
        lxcpath = Files.createDirectory(tmp.resolve("lxc"));
        store = tmp.resolve("layers");
    }

    @AfterEach
    void stopAndUnmountEverything() {
        RealLxc.stopAll(lxcpath);
        Host.unmountAllUnder(tmp);
    }

    private Host.Run imaged(String... args) {
        return Host.run(Map.of(HookLauncher.LAYERFS.env(), launchers.layerfs().toString(), HookLauncher.IMAGED.env(), launchers.imaged().toString()),
                concat(launchers.imaged().toString(), args));
    }

    private void create(String name, String image) {
        imaged("lxc", "create", name, "--image", image, "--server", registry.url().toString(),
                "-P", lxcpath.toString(), "--store", store.toString()).ok();
    }

    private Host.Run execute(String name, String script) {
        return Host.run("lxc-execute", "-P", lxcpath.toString(), "-n", name, "--", "/bin/sh", "-c", script);
    }

    @Test
    void containersShareTheImageLayersKeepTheirWritesApartAndCommitThemAsANewImage() throws IOException {
        create("c1", "busybox:1");
        Map<String, String> layersBefore = TreeSnapshot.of(store);
        Path c1Delta = lxcpath.resolve("c1/delta");

        String seen = execute("c1", "echo changed >> /etc/motd && echo new > /root/new && rm /etc/issue && cat /etc/motd /root/new").ok().output();

        assertEquals("base motd\nchanged\nnew\n", seen);
        assertEquals(layersBefore, TreeSnapshot.of(store), "the shared layers are byte-identical");
        assertEquals("base motd\nchanged\n", Files.readString(c1Delta.resolve("etc/motd")));
        assertEquals("new\n", Files.readString(c1Delta.resolve("root/new")));
        assertTrue(Files.exists(c1Delta.resolve("etc/.wh.issue"), LinkOption.NOFOLLOW_LINKS), "the delete is a whiteout in c1's delta");

        create("c2", "busybox:1");
        assertEquals(layerBranches("c1"), layerBranches("c2"), "both containers run on the same layer directories");
        assertTrue(layerBranches("c1").get(0).startsWith(store.toString()), "the layers are in the store: " + layerBranches("c1"));
        assertEquals("base motd\nbase issue\n", execute("c2", "cat /etc/motd /etc/issue; ls /root").ok().output(),
                "a second container from the image sees none of the first's writes");

        imaged("lxc", "commit", "c1", "busybox:2", "-P", lxcpath.toString()).ok();
        create("c3", "busybox:2");
        assertEquals("base motd\nchanged\nnew\nno issue\n",
                execute("c3", "cat /etc/motd /root/new; [ -e /etc/issue ] || echo no issue").ok().output(),
                "a container from the committed image sees the change, the new file and the delete");
        assertEquals(layersBefore.keySet(), TreeSnapshot.of(store).keySet().stream()
                        .filter(layersBefore::containsKey).collect(java.util.stream.Collectors.toSet()),
                "the new image reused the base layer and added one");
        assertEquals(2, layerBranches("c3").size());
        assertEquals(layerBranches("c1").get(0), layerBranches("c3").get(1), "c3's lower layer is c1's: shared, not copied");

        for (String c : List.of("c1", "c2", "c3")) {
            imaged("lxc", "destroy", c, "-P", lxcpath.toString()).ok();
        }
        assertEquals(List.of(), entries(lxcpath));
        assertEquals(List.of(), MountTable.mountsAtOrUnder(tmp), "no mount left");
        Map<String, String> layersAfter = TreeSnapshot.of(store);
        layersBefore.forEach((path, what) -> assertEquals(what, layersAfter.get(path), "layer entry " + path + " untouched by destroy"));
    }

    @Test
    void unknownImageTakenNameAndRunningCommitAreRefusedChangingNothing() throws IOException {
        Host.Run unknown = imaged("lxc", "create", "x", "--image", "nosuch:1", "--server", registry.url().toString(),
                "-P", lxcpath.toString(), "--store", store.toString());
        assertEquals(2, unknown.exit(), unknown.output());
        assertTrue(unknown.output().startsWith("imaged: image nosuch:1 not found on " + registry.url()), unknown.output());
        assertEquals(List.of(), entries(lxcpath));

        create("c1", "busybox:1");
        Host.Run taken = imaged("lxc", "create", "c1", "--image", "busybox:1", "--server", registry.url().toString(),
                "-P", lxcpath.toString(), "--store", store.toString());
        assertEquals(2, taken.exit());
        assertEquals("imaged: container c1 already exists in " + lxcpath + "\n", taken.output());

        Host.run("lxc-start", "-P", lxcpath.toString(), "-n", "c1").ok();
        Host.Run running = imaged("lxc", "commit", "c1", "busybox:3", "-P", lxcpath.toString());
        assertEquals(2, running.exit());
        assertEquals("imaged: container c1 is running: stop it first (lxc-stop -P " + lxcpath + " -n c1), so that all its writes are in its branch\n",
                running.output());
        assertFalse(imaged("pull", "--server", registry.url().toString(), "--store", store.toString(), "busybox:3").exit() == 0,
                "no image was pushed");
    }

    @Test
    void unwritableLxcpathIsRefusedBeforeAnythingIsPulled() throws IOException {
        assumeTrue(Host.run("chattr", "+i", lxcpath.toString()).exit() == 0, "SKIPPED: chattr +i does not work on " + lxcpath + ": cannot make a directory root may not write in");
        try {
            Host.Run unwritable = imaged("lxc", "create", "x", "--image", "busybox:1", "--server", registry.url().toString(),
                    "-P", lxcpath.toString(), "--store", store.toString());
            assertEquals(2, unwritable.exit(), unwritable.output());
            assertTrue(unwritable.output().startsWith("imaged: cannot write in lxcpath " + lxcpath + ": "), unwritable.output());
            assertFalse(Files.exists(store), "refused before pulling anything");
        } finally {
            Host.run("chattr", "-i", lxcpath.toString());
        }
    }

    /** The image layers of a container's union, top first, from its layerfs.options. */
    private List<String> layerBranches(String name) throws IOException {
        String options = Files.readString(lxcpath.resolve(name).resolve("layerfs.options")).strip();
        return java.util.Arrays.stream(options.substring("dirs=".length()).split(":"))
                .skip(1)
                .map(b -> b.substring(0, b.lastIndexOf('=')))
                .toList();
    }
}
