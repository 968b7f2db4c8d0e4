package dev.layerfs.imaged.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ProgressTest {

    @Test
    void terminalProgressShowsBytesOfTotalAndRateAndEndsItsLine() throws IOException {
        ByteArrayOutputStream screen = new ByteArrayOutputStream();
        Progress progress = new Progress.Terminal(new PrintStream(screen, true, StandardCharsets.UTF_8));
        progress.start("layer 0123456789ab", 3 << 20);
        try (InputStream in = progress.counting(new ByteArrayInputStream(new byte[3 << 20]))) {
            assertEquals(3 << 20, in.transferTo(java.io.OutputStream.nullOutputStream()));
        }
        progress.finish("pushed");

        String shown = screen.toString(StandardCharsets.UTF_8);
        String lastDraw = shown.substring(shown.lastIndexOf('\r') + 1);
        assertTrue(lastDraw.startsWith("layer 0123456789ab 3.0 MiB / 3.0 MiB"), lastDraw);
        assertTrue(lastDraw.contains("/s"), "a rate is shown: " + lastDraw);
        assertTrue(lastDraw.endsWith(" pushed\n"), lastDraw);
    }

    @Test
    void sizesReadNaturally() {
        assertEquals("512 B", Progress.Terminal.size(512));
        assertEquals("1.5 KiB", Progress.Terminal.size(1536));
        assertEquals("2.0 GiB", Progress.Terminal.size(2L << 30));
    }
}
