package dev.layerfs.branch;

import java.nio.file.Path;

/** One directory of a union, with how it may be used. {@code dir} is absolute and normalized. */
public record Branch(Path dir, BranchMode mode) {

    @Override
    public String toString() {
        return dir + "=" + mode.label();
    }
}
