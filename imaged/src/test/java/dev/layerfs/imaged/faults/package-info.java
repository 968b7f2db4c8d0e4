/**
 * Fault injection for imaged clusters, in the manner of Jepsen and etcd's robustness tests.
 *
 * <p>{@link dev.layerfs.imaged.faults.FaultRun} puts it together: a {@link dev.layerfs.imaged.faults.FaultCluster}
 * (node JVMs, each in its own network namespace of a {@link dev.layerfs.imaged.faults.FaultNet}),
 * a {@link dev.layerfs.imaged.faults.Workload} of concurrent clients recording every operation
 * ({@link dev.layerfs.imaged.faults.Op}) in a {@link dev.layerfs.imaged.faults.History}, and a seeded
 * {@link dev.layerfs.imaged.faults.Nemesis} that kills, pauses and partitions nodes. After healing,
 * {@link dev.layerfs.imaged.faults.HistoryChecker} judges the history (linearizable tag reads, no lost
 * tag update, no minority acknowledgement), the run reads every acknowledged blob back from every
 * node and compares the nodes' local views ({@link dev.layerfs.imaged.faults.NodeView}), and
 * {@link dev.layerfs.imaged.faults.Report} prints the table. {@code ClusterFaultsTest} runs it (short
 * in CI, long with {@code -Dfaults.seconds} and {@code -Dfaults.seed}); {@code NodeCrashTest} kills
 * one process in the middle of uploads and checks what it shows after restarting.
 */
package dev.layerfs.imaged.faults;
