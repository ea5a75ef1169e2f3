package org.xlstm.samples.bench;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

/** A child JVM that fails is reported with what it printed, not as a missing number. */
class ForkedJvmTest {

    @Test
    void aFailingChildIsReportedWithItsLog() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> ForkedJvm.run(
                ForkedJvm.inheritedOptions(), List.of("benchmark", "--part", "no-such-part"), "seconds_b", null));
        assertTrue(e.getMessage().contains("xlstm benchmark --part no-such-part"), e.getMessage());
        assertTrue(e.getMessage().contains("unknown --part 'no-such-part'"), e.getMessage());
    }
}
