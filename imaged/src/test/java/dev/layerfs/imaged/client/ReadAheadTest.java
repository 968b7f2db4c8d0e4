package dev.layerfs.imaged.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class ReadAheadTest {

    private static byte[] random(int n) {
        byte[] b = new byte[n];
        new Random(n).nextBytes(b);
        return b;
    }

    @Test
    void passesEveryByteThroughInOrder() throws IOException {
        byte[] data = random(3_000_017);
        try (ReadAhead in = new ReadAhead(new ByteArrayInputStream(data), "test")) {
            assertArrayEquals(data, in.readAllBytes());
            assertEquals(-1, in.read());
        }
    }

    @Test
    void theSourcesFailureReachesTheReaderAfterTheBytesBeforeIt() throws IOException {
        byte[] data = random(100_000);
        InputStream failing = new SequenceInputStream(new ByteArrayInputStream(data), new InputStream() {
            @Override
            public int read() throws IOException {
                throw new IOException("blob content has digest sha256:0, expected sha256:1");
            }
        });
        try (ReadAhead in = new ReadAhead(failing, "test")) {
            assertArrayEquals(data, in.readNBytes(data.length));
            IOException e = assertThrows(IOException.class, in::read);
            assertEquals("blob content has digest sha256:0, expected sha256:1", e.getMessage());
            assertThrows(IOException.class, in::read, "the failure stays: no end is ever reported");
        }
    }

    @Test
    void afterCloseTheSourceGoesOnWhereTheThreadStopped() throws IOException {
        byte[] data = random(5_000_000);
        ByteArrayInputStream source = new ByteArrayInputStream(data);
        ReadAhead in = new ReadAhead(source, "test");
        byte[] head = in.readNBytes(1000);
        in.close();
        byte[] rest = source.readAllBytes();
        long readAhead = data.length - head.length - rest.length;
        assertArrayEquals(java.util.Arrays.copyOf(data, 1000), head);
        assertArrayEquals(java.util.Arrays.copyOfRange(data, data.length - rest.length, data.length), rest);
        assertEquals(true, readAhead >= 0 && readAhead < data.length, "the thread read at most the whole source: " + readAhead);
    }
}
