package org.xlstm.dl4j.memory;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.xlstm.dl4j.memory.NativeMemory.MB;

import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * Serving one xLSTM network from 8 ParallelInference workers costs at most 8 times the native memory that
 * one worker holds in steady state: each thread holds only what its own passes need.
 */
class ParallelInferenceMemoryTest {

    @Test
    void eightThreadsHoldAtMostEightTimesOne() throws Exception {
        long one = ForkedJvm.run(ParallelInferenceProbe.class, List.of(), "1").get("steady");
        long eight = ForkedJvm.run(ParallelInferenceProbe.class, List.of(), String.valueOf(ParallelInferenceProbe.THREADS))
                .get("steady");
        System.out.printf("ParallelInference steady native memory above start: 1 thread %.1f MB, %d threads"
                + " %.1f MB (%.2fx)%n", one / (double) MB, ParallelInferenceProbe.THREADS, eight / (double) MB,
                eight / (double) one);
        assertTrue(one > 0, "one thread's steady native memory should be positive, was " + one);
        assertTrue(eight <= ParallelInferenceProbe.THREADS * one, ParallelInferenceProbe.THREADS
                + " threads hold " + eight / MB + " MB, more than " + ParallelInferenceProbe.THREADS
                + " x one thread's " + one / MB + " MB");
    }
}
