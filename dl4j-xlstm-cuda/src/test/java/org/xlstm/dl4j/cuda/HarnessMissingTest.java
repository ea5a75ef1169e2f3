package org.xlstm.dl4j.cuda;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;

/** A kernel harness that was not built (no g++) fails the CPU kernel tests instead of skipping them. */
class HarnessMissingTest {

    @Test
    void aMissingHarnessIsAFailureThatSaysWhy() {
        AssertionFailedError e = assertThrows(AssertionFailedError.class,
                () -> Harness.binary("mlstm_harness_that_was_never_built"));
        assertTrue(e.getMessage().contains("g++"), e.getMessage());
    }
}
