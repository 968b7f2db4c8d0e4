package dev.layerfs.imaged.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class ClusterSpecTest {

    @Test
    void peersParseInOrderWithMajority() {
        ClusterSpec spec = ClusterSpec.parse("n2", "n1=10.0.0.1:7001,n2=10.0.0.2:7001,n3=host-3:7002");
        assertEquals(List.of("n1", "n2", "n3"), List.copyOf(spec.peers().keySet()));
        assertEquals("10.0.0.2", spec.selfAddress().getHostString());
        assertEquals(2, spec.majority());
        assertEquals(1, ClusterSpec.parse("a", "a=127.0.0.1:1").majority());
    }

    @Test
    void everyMistakeNamesTheOffendingValue() {
        assertMessage("peer 'n2' is not id=host:port", () -> ClusterSpec.parse("n1", "n1=h:1,n2"));
        assertMessage("peer n2 address 'h' is not host:port", () -> ClusterSpec.parse("n1", "n1=h:1,n2=h"));
        assertMessage("peer n2 address 'h:x' has a non-numeric port", () -> ClusterSpec.parse("n1", "n1=h:1,n2=h:x"));
        assertMessage("peer n2 address 'h:70000' has port 70000 outside 1-65535", () -> ClusterSpec.parse("n1", "n1=h:1,n2=h:70000"));
        assertMessage("peer id 'n1' appears twice in --peers", () -> ClusterSpec.parse("n1", "n1=h:1,n1=h:2"));
        assertMessage("node id 'n9' is not among the peers [n1, n2]", () -> ClusterSpec.parse("n9", "n1=h:1,n2=h:2"));
        assertMessage("node id '../x' must be letters, digits, '.', '_' or '-' (at most 64)", () -> ClusterSpec.parse("../x", "../x=h:1"));
    }

    private static void assertMessage(String message, Runnable r) {
        assertEquals(message, assertThrows(IllegalArgumentException.class, r::run).getMessage());
    }
}
