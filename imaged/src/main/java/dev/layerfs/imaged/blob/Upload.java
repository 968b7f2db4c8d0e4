package dev.layerfs.imaged.blob;

/** An upload session in progress: its id, the repository it is for, and the bytes received. */
public record Upload(String id, String repository, long size) {
}
