package dev.layerfs.imaged.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class OpsConfigTest {

    @Test
    void operationsOptionsAreTakenOutAndTheRestIsLeftInOrder() {
        OpsConfig.Parsed p = OpsConfig.extract(new String[] {"--id", "n1", "--node-timeout-ms", "3000", "--join",
                "--peers", "n1=h:1", "--gc-grace-ms", "0", "--gc-period-ms", "60000"});
        assertEquals(new OpsConfig(3000, 0, 60000, OpsConfig.DEFAULT.sweepPeriodMillis(), true), p.config());
        assertArrayEquals(new String[] {"--id", "n1", "--peers", "n1=h:1"}, p.rest());
    }

    @Test
    void aBadValueIsRefusedNamingIt() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> OpsConfig.extract(new String[] {"--node-timeout-ms", "soon"}));
        assertTrue(e.getMessage().contains("--node-timeout-ms 'soon'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> OpsConfig.extract(new String[] {"--node-timeout-ms", "0"}));
        assertTrue(e.getMessage().contains("node timeout 0 ms"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> OpsConfig.extract(new String[] {"--gc-grace-ms"}));
    }
}
