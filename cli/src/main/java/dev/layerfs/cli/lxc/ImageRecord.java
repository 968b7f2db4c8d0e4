package dev.layerfs.cli.lxc;

import dev.layerfs.cli.UserError;
import dev.layerfs.imaged.client.ImageRef;
import dev.layerfs.imaged.oci.Digest;

import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Properties;

/**
 * The image a container was made from, kept beside its config ({@code layerfs.image}): the
 * reference the user gave, the manifest digest it resolved to, and the server it came from.
 * A commit stacks the container's private branch on exactly that manifest, even if the tag has
 * moved since.
 */
public record ImageRecord(ImageRef image, Digest manifest, URI server) {

    /** The image pinned by digest: the base a commit goes on top of. */
    public ImageRef pinned() {
        return new ImageRef(image.repository(), manifest.toString());
    }

    public String toText() {
        return "# The image this container was made from (imaged lxc create); imaged lxc commit stacks on it.\n"
                + "image=" + image + "\n"
                + "manifest=" + manifest + "\n"
                + "server=" + server + "\n";
    }

    public static ImageRecord read(ContainerDir container) {
        Path file = container.imageFile();
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new UserError("container " + container.name() + " was not made from an image (it has no "
                    + file.getFileName() + ")");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        Properties p = new Properties();
        try {
            p.load(new StringReader(text));
            return new ImageRecord(ImageRef.parse(p.getProperty("image")), Digest.parse(p.getProperty("manifest")),
                    URI.create(p.getProperty("server")));
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException(file + " is damaged: " + e.getMessage(), e);
        }
    }
}
