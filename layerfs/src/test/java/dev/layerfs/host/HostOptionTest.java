package dev.layerfs.host;

import dev.layerfs.mount.MountException;
import dev.layerfs.mount.RunFiles;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class HostOptionTest {

    private static final Path CWD = Path.of("/work");

    @Test
    void withoutHostTheMountIsADaemonsOwn() {
        assertEquals(Optional.empty(), HostOption.take(List.of("dirs=/u=rw:/l=ro,suid"), CWD));
    }

    @Test
    void hostIsTakenOutAndTheWireEngineAdded() {
        HostOption h = HostOption.take(List.of("dirs=/u=rw:/l=ro,host", "suid"), CWD).orElseThrow();
        assertEquals(RunFiles.hostSocket(), h.socket());
        assertEquals(List.of("dirs=/u=rw:/l=ro", "suid", "engine=wire"), h.options());
    }

    @Test
    void hostNamesItsSocketRelativeToTheWorkingDirectory() {
        HostOption h = HostOption.take(List.of("host=run/h.sock,engine=wire,dirs=/l=ro"), CWD).orElseThrow();
        assertEquals(Path.of("/work/run/h.sock"), h.socket());
        assertEquals(List.of("engine=wire,dirs=/l=ro"), h.options());
    }

    @Test
    void anotherEngineIsRefused() {
        MountException e = assertThrows(MountException.class,
                () -> HostOption.take(List.of("host,engine=jnr-fuse,dirs=/l=ro"), CWD));
        assertEquals("the mount host serves engine=wire only, not engine=jnr-fuse", e.getMessage());
    }
}
