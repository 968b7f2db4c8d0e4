package dev.layerfs.imaged.faults;

/** Where a client reaches one node: its id (recorded in the history) and its HTTP address. */
record Endpoint(String id, String httpAddress) {
}
