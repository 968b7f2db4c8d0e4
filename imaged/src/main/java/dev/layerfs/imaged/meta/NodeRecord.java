package dev.layerfs.imaged.meta;

/** A registry node: its id and the HTTP address ({@code host:port}) other nodes reach it at. */
public record NodeRecord(String id, String httpAddress) {
}
