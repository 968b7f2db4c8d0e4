package dev.layerfs.mount;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EngineOptionTest {

    @TempDir
    Path tmp;

    private MountOptions parse(String... lists) throws Exception {
        Files.createDirectories(tmp.resolve("up"));
        Files.createDirectories(tmp.resolve("base"));
        return MountOptions.parse(List.of(lists), tmp);
    }

    @Test
    void theWireEngineIsTheDefaultAndJnrFuseStaysSelectable() throws Exception {
        MountOptions o = parse("dirs=up:base");
        assertEquals(MountOptions.Engine.WIRE, o.engine());
        assertEquals(MountOptions.DEFAULT_ENTRY_TIMEOUT, o.attrTimeout());
        MountOptions jnr = parse("dirs=up:base,engine=jnr-fuse");
        assertEquals(MountOptions.Engine.JNR_FUSE, jnr.engine());
        assertEquals(MountOptions.DEFAULT_ATTR_TIMEOUT, jnr.attrTimeout());
    }

    @Test
    void theWireEngineCachesAttributesAsLongAsNamesUnlessToldOtherwise() throws Exception {
        assertEquals(MountOptions.Engine.WIRE, parse("dirs=up:base,engine=wire").engine());
        assertEquals(MountOptions.DEFAULT_ENTRY_TIMEOUT, parse("dirs=up:base,engine=wire").attrTimeout());
        assertEquals(2.0, parse("dirs=up:base,engine=wire,attr_timeout=2").attrTimeout());
        assertEquals(MountOptions.REVAL_TIMEOUT, parse("dirs=up:base,engine=wire,udba=reval").attrTimeout());
    }

    @Test
    void theEngineReachesTheDaemonButNotLibfuse() throws Exception {
        MountOptions o = parse("dirs=up:base,engine=wire");
        assertTrue(o.toOptionString().contains("engine=wire"));
        assertFalse(String.join(" ", o.fuseArgs(true)).contains("engine"));
    }

    @Test
    void anUnknownEngineIsRefusedByName() throws Exception {
        parse("dirs=up:base");
        MountException e = assertThrows(MountException.class, () -> parse("dirs=up:base,engine=libfuse3"));
        assertTrue(e.getMessage().contains("engine=libfuse3"), e.getMessage());
    }
}
