package dev.layerfs.imaged.layer;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Test helper run in a separate JVM as another user: unpacks ARCHIVE into TARGET and prints
 * {@code ok} or {@code refused <entry>: <message>}.
 */
public final class UnpackMain {

    private UnpackMain() {
    }

    public static void main(String[] args) throws Exception {
        try (InputStream in = Files.newInputStream(Path.of(args[0]))) {
            new LayerUnpacker().unpack(in, Path.of(args[1]));
            System.out.println("ok");
        } catch (LayerRefusedException e) {
            System.out.println("refused " + e.entry() + ": " + e.getMessage());
        }
    }
}
