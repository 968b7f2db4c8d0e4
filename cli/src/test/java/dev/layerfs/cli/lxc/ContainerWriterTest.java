package dev.layerfs.cli.lxc;

import dev.layerfs.cli.UserError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class ContainerWriterTest {

    @TempDir
    Path tmp;

    private Path lxcpath;
    private Path base;
    private Path upper;

    private ContainerWriter writer(TemplateStore templates) {
        return new ContainerWriter(templates, Path.of("/opt/layerfs/bin/layerfs"), "layerfs lxc-config");
    }

    private ContainerWriter.Contents union() throws IOException {
        lxcpath = Files.createDirectory(tmp.resolve("lxc"));
        base = Files.createDirectory(tmp.resolve("base"));
        upper = Files.createDirectory(tmp.resolve("upper"));
        return ContainerWriter.Contents.overBranches(UnionDirs.parse(upper + "=rw:" + base + "=ro"));
    }

    @Test
    void configMountsTheUnionOnTheRootfsThroughTheHooks() throws IOException {
        ContainerWriter.Contents contents = union();
        ContainerDir c1 = new ContainerDir(lxcpath, new ContainerName("c1"));

        writer(new TemplateStore(Optional.empty())).create(c1, contents);

        String config = Files.readString(lxcpath.resolve("c1/config"));
        assertTrue(config.contains("\nlxc.rootfs.path = dir:" + lxcpath + "/c1/rootfs\n"), config);
        assertTrue(config.contains("\nlxc.uts.name = c1\n"), config);
        assertTrue(config.contains("\nlxc.hook.pre-start = " + lxcpath + "/c1/layerfs-mount-hook\n"), config);
        assertTrue(config.contains("\nlxc.hook.post-stop = " + lxcpath + "/c1/layerfs-umount-hook\n"), config);
        assertTrue(config.contains("lxc-start -P " + lxcpath + " -n c1"), "the header says how to start it");
        assertTrue(Files.isDirectory(lxcpath.resolve("c1/rootfs")));
        assertEquals("dirs=" + upper + "=rw:" + base + "=ro\n", Files.readString(lxcpath.resolve("c1/layerfs.options")));
        for (String hook : List.of("layerfs-mount-hook", "layerfs-umount-hook")) {
            Path file = lxcpath.resolve("c1/" + hook);
            assertTrue(Files.isExecutable(file), hook + " is executable");
            String text = Files.readString(file);
            assertTrue(text.startsWith("#!/bin/sh\n"), hook);
            assertTrue(text.contains("\nlayerfs=/opt/layerfs/bin/layerfs\n"), hook + " runs the launcher by its absolute path");
            assertFalse(text.matches("(?s).*@[A-Z_]+@.*"), hook + " has no placeholder left");
        }
        assertFalse(config.matches("(?s).*@[A-Z_]+@.*"), "no placeholder left in the config");
        assertFalse(Files.exists(lxcpath.resolve("c1/delta")), "branches named by hand: no private branch");
        assertEquals(List.of("c1"), entries(lxcpath), "no temporary directory left beside it");
    }

    @Test
    void defaultLxcpathNeedsNoDashPInTheStartHint() {
        ContainerDir c = new ContainerDir(ContainerDir.DEFAULT_LXCPATH, new ContainerName("web"));
        assertEquals("", c.lxcpathOption());
        assertEquals(Path.of("/var/lib/lxc/web/rootfs"), c.rootfs());
    }

    @Test
    void containerFromAnImageGetsAPrivateBranchAndItsImageRecord() throws IOException {
        lxcpath = Files.createDirectory(tmp.resolve("lxc"));
        Path layer1 = Files.createDirectory(tmp.resolve("layer1"));
        Path layer2 = Files.createDirectory(tmp.resolve("layer2"));
        ContainerDir c = new ContainerDir(lxcpath, new ContainerName("app"));
        UnionDirs union = UnionDirs.overLayers(c.delta(), List.of(layer2, layer1));

        writer(new TemplateStore(Optional.empty())).create(c, ContainerWriter.Contents.fromImage(union, "image=x\n"));

        assertTrue(Files.isDirectory(c.delta()));
        assertEquals("image=x\n", Files.readString(c.imageFile()));
        assertEquals("dirs=" + c.delta() + "=rw:" + layer2 + "=rr:" + layer1 + "=rr\n", Files.readString(c.options()));
    }

    @Test
    void aContainerOnTheMountHostMountsWithTheHostOption() throws IOException {
        lxcpath = Files.createDirectory(tmp.resolve("lxc"));
        Path layer = Files.createDirectory(tmp.resolve("layer"));
        ContainerDir c = new ContainerDir(lxcpath, new ContainerName("app"));
        ContainerDir d = new ContainerDir(lxcpath, new ContainerName("app2"));
        UnionDirs union = UnionDirs.overLayers(c.delta(), List.of(layer));
        ContainerWriter writer = writer(new TemplateStore(Optional.empty()));

        writer.create(c, ContainerWriter.Contents.fromImage(union, "image=x\n").withMountHost(Optional.of(MountHost.parse(""))));
        writer.create(d, ContainerWriter.Contents.fromImage(UnionDirs.overLayers(d.delta(), List.of(layer)), "image=x\n")
                .withMountHost(Optional.of(MountHost.parse("/run/hosts/a.sock"))));

        assertEquals("dirs=" + c.delta() + "=rw:" + layer + "=rr,host\n", Files.readString(c.options()));
        assertEquals("dirs=" + d.delta() + "=rw:" + layer + "=rr,host=/run/hosts/a.sock\n", Files.readString(d.options()));
        assertThrows(dev.layerfs.cli.UserError.class, () -> MountHost.parse("/run/a,b.sock"));
    }

    @Test
    void takenNameIsRefusedAndTheExistingContainerLeftAlone() throws IOException {
        ContainerWriter.Contents contents = union();
        Path existing = Files.createDirectories(lxcpath.resolve("c1"));
        Files.writeString(existing.resolve("config"), "lxc.uts.name = theirs\n");

        UserError e = assertThrows(UserError.class,
                () -> writer(new TemplateStore(Optional.empty())).create(new ContainerDir(lxcpath, new ContainerName("c1")), contents));

        assertEquals("container c1 already exists in " + lxcpath, e.getMessage());
        assertEquals("lxc.uts.name = theirs\n", Files.readString(existing.resolve("config")));
        assertEquals(List.of("c1"), entries(lxcpath));
    }

    @Test
    void missingLxcpathIsRefused() throws IOException {
        ContainerWriter.Contents contents = union();
        Path missing = tmp.resolve("no-such-dir");

        UserError e = assertThrows(UserError.class,
                () -> writer(new TemplateStore(Optional.empty())).create(new ContainerDir(missing, new ContainerName("c1")), contents));

        assertEquals("lxcpath " + missing + " is not a directory", e.getMessage());
        assertFalse(Files.exists(missing));
    }

    @Test
    void unwritableLxcpathIsRefusedWithNothingCreated() throws Exception {
        ContainerWriter.Contents contents = union();
        // Root may write anywhere a mode allows; an immutable directory stops even root.
        assumeTrue(run("chattr", "+i", lxcpath.toString()) == 0, "SKIPPED: chattr +i does not work on " + lxcpath + ": cannot make a directory root may not write in");
        try {
            UserError e = assertThrows(UserError.class,
                    () -> writer(new TemplateStore(Optional.empty())).create(new ContainerDir(lxcpath, new ContainerName("c1")), contents));
            assertTrue(e.getMessage().startsWith("cannot write in lxcpath " + lxcpath + ": "), e.getMessage());
            UserError early = assertThrows(UserError.class, () -> ContainerWriter.checkCanCreate(new ContainerDir(lxcpath, new ContainerName("c1"))));
            assertEquals(e.getMessage(), early.getMessage(), "the check before a pull says the same");
            assertEquals(List.of(), entries(lxcpath));
        } finally {
            run("chattr", "-i", lxcpath.toString());
        }
    }

    @Test
    void brokenTemplateIsReportedAndChangesNothing() throws IOException {
        ContainerWriter.Contents contents = union();
        Path templates = Files.createDirectory(tmp.resolve("templates"));
        Files.writeString(templates.resolve(ContainerWriter.CONFIG_TEMPLATE), "lxc.uts.name = @NAME@\nlxc.arch = @ARCH@\n");

        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> writer(new TemplateStore(Optional.of(templates))).create(new ContainerDir(lxcpath, new ContainerName("c1")), contents));

        assertTrue(e.getMessage().contains("[@ARCH@]"), e.getMessage());
        assertEquals(List.of(), entries(lxcpath));
    }

    @Test
    void installedTemplateIsPreferredToTheOneInTheJar() throws IOException {
        ContainerWriter.Contents contents = union();
        Path templates = Files.createDirectory(tmp.resolve("templates"));
        Files.writeString(templates.resolve(ContainerWriter.CONFIG_TEMPLATE),
                "lxc.uts.name = @NAME@\nlxc.rootfs.path = dir:@ROOTFS@\nlxc.net.0.type = veth\n");

        writer(new TemplateStore(Optional.of(templates))).create(new ContainerDir(lxcpath, new ContainerName("c1")), contents);

        assertEquals("lxc.uts.name = c1\nlxc.rootfs.path = dir:" + lxcpath + "/c1/rootfs\nlxc.net.0.type = veth\n",
                Files.readString(lxcpath.resolve("c1/config")));
        assertTrue(Files.readString(lxcpath.resolve("c1/layerfs-mount-hook")).contains("\"$layerfs\" mount --log"), "hooks not in the directory come from the jar");
    }

    @Test
    void lxcpathWithBlanksIsRefused() {
        UserError e = assertThrows(UserError.class, () -> new ContainerDir(Path.of("/srv/my containers"), new ContainerName("c1")));
        assertTrue(e.getMessage().startsWith("lxcpath '/srv/my containers' has characters"), e.getMessage());
    }

    @Test
    void containerNamesAreSafeForPathsAndShells() {
        for (String bad : List.of("", "a b", "../x", "-x", "x;y", ".hidden", "a/b")) {
            UserError e = assertThrows(UserError.class, () -> new ContainerName(bad), bad);
            assertTrue(e.getMessage().startsWith("invalid container name '" + bad + "'"), e.getMessage());
        }
        assertEquals("web-1.prod_2", new ContainerName("web-1.prod_2").value());
    }

    private static List<String> entries(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static int run(String... command) throws IOException, InterruptedException {
        return new ProcessBuilder(command).inheritIO().start().waitFor();
    }
}
