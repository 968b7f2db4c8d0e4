package dev.layerfs.imaged.faults;

/**
 * One client operation in the history. Times are nanoseconds since the history began.
 * {@code key} is the blob digest (pushes) or the tag (tag writes and reads); {@code value} is the
 * manifest digest written or read ("" when a read found no such tag); {@code seq} numbers tag
 * writes (it is in the manifest, so every written value is unique and traceable to its write).
 */
record Op(int id, int client, String node, Kind kind, String key, String value, long seq,
          long start, long end, Outcome outcome, String error) {

    enum Kind { PUSH_BLOB, PUT_TAG, READ_TAG }

    /**
     * OK: acknowledged (or, for a read, answered). FAIL: definitely did not happen (refused with a
     * 4xx, or never reached the node). UNKNOWN: may or may not have happened (timeout, connection
     * lost mid-request, 5xx) — it may take effect at any later time.
     */
    enum Outcome { OK, FAIL, UNKNOWN }

    boolean isWrite() {
        return kind != Kind.READ_TAG;
    }

    boolean ok() {
        return outcome == Outcome.OK;
    }
}
