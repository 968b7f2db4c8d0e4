package dev.layerfs.imaged.faults;

import java.util.List;

/**
 * One fault the nemesis injected: its kind, the nodes it hit, when it took effect and when it was
 * healed (nanoseconds since the history began; the node was restarted, resumed, or the links
 * restored at {@code healed}).
 */
record Fault(int id, Kind kind, List<String> nodes, long injected, long healed, String note) {

    enum Kind { KILL_LEADER, KILL_FOLLOWER, PAUSE, PARTITION_LEADER }
}
