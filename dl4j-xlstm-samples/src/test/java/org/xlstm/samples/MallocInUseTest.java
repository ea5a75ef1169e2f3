package org.xlstm.samples;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.Test;

import com.sun.jna.Native;

/** glibc's allocated bytes follow a malloc and its free, of a size no other thread's churn comes near. */
class MallocInUseTest {

    private static final long SIZE = 64L << 20;

    @Test
    void aMallocAndItsFreeMoveTheFigureByTheirSize() {
        assumeTrue(MallocInUse.available(), "needs glibc 2.33+ (mallinfo2)");
        long before = MallocInUse.bytes();
        long pointer = Native.malloc(SIZE);
        assertTrue(pointer != 0, "malloc of 64 MB failed");
        long allocated;
        try {
            allocated = MallocInUse.bytes();
        } finally {
            Native.free(pointer);
        }
        long after = MallocInUse.bytes();
        long tolerance = 8L << 20;
        assertTrue(Math.abs(allocated - before - SIZE) < tolerance, "malloc: " + before + " -> " + allocated);
        assertTrue(Math.abs(after - before) < tolerance, "free: " + before + " -> " + after);
    }
}
