package org.xlstm.dl4j.dropin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.xlstm.dl4j.dropin.DropinSupport.SEED;

import java.util.Arrays;
import java.util.Map;

import org.bytedeco.javacpp.Pointer;
import org.deeplearning4j.nn.api.layers.RecurrentLayer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.xlstm.dl4j.conf.SLSTMLayer;

/** Long training and long streaming do not grow off-heap memory; streaming state does not grow with steps. */
class MemoryTest {
    private static final long BOUND = 20L * 1024 * 1024;
    /** Training iterations measured after warm-up: a leak of 2 kB per iteration fails the bound. */
    private static final int ITERATIONS = 10_000;
    /** Streaming steps measured after warm-up. */
    private static final int STREAM_STEPS = 5_000;

    @BeforeEach
    void setUp() {
        Nd4j.setDefaultDataTypes(DataType.FLOAT, DataType.FLOAT);
        Nd4j.getRandom().setSeed(SEED);
    }

    private static MultiLayerNetwork tinyNet() {
        MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(SEED)
                .dataType(DataType.FLOAT).updater(new Adam(1e-3)).list()
                .layer(new SLSTMLayer.Builder().nIn(2).nOut(2).numHeads(1).convKernelSize(0).build())
                .layer(DropinSupport.rnnOutput(2, RNNFormat.NCW)).build());
        net.init();
        return net;
    }

    /**
     * Off-heap bytes held by JavaCPP (ND4J's buffers) once garbage collection has released all it can.
     * JavaCPP frees a collected buffer later, on its own thread, so a single {@code System.gc()} can leave
     * tens of megabytes of garbage still counted (seen after 10,000 iterations); collections are repeated
     * until two in a row free nothing. {@code Pointer.physicalBytes()} is the process's resident size,
     * which includes the Java heap, so it is only reported.
     */
    private static long offHeap() throws InterruptedException {
        long bytes = Pointer.totalBytes();
        int roundsWithoutRelease = 0;
        for (int round = 0; round < 30 && roundsWithoutRelease < 2; round++) {
            System.gc();
            Thread.sleep(100);
            long now = Pointer.totalBytes();
            roundsWithoutRelease = now < bytes ? 0 : roundsWithoutRelease + 1;
            bytes = Math.min(bytes, now);
        }
        return Pointer.totalBytes();
    }

    @Test
    void trainingDoesNotGrowOffHeapMemory() throws InterruptedException {
        MultiLayerNetwork net = tinyNet();
        INDArray mask = DropinSupport.mask(DataType.FLOAT, 3, 4);
        DataSet data = new DataSet(DropinSupport.input(DataType.FLOAT, 3, 2, 4),
                DropinSupport.input(DataType.FLOAT, 3, 2, 4), mask, mask);
        for (int i = 0; i < 200; i++) {
            net.fit(data);
        }
        long start = offHeap();
        long startResident = Pointer.physicalBytes();
        for (int i = 0; i < ITERATIONS; i++) {
            net.fit(data);
        }
        long growth = offHeap() - start;
        assertTrue(growth < BOUND, "off-heap grew by " + growth + " bytes over " + ITERATIONS
                + " iterations (resident size by " + (Pointer.physicalBytes() - startResident) + ")");
    }

    @Test
    void streamingStateAndMemoryStayConstant() throws InterruptedException {
        MultiLayerNetwork net = tinyNet();
        INDArray step = DropinSupport.input(DataType.FLOAT, 2, 2, 1);
        for (int i = 0; i < 100; i++) {
            net.rnnTimeStep(step);
        }
        Map<String, INDArray> state = ((RecurrentLayer) net.getLayer(0)).rnnGetPreviousState();
        long start = offHeap();
        long startResident = Pointer.physicalBytes();
        for (int i = 0; i < STREAM_STEPS; i++) {
            net.rnnTimeStep(step);
        }
        long growth = offHeap() - start;
        Map<String, INDArray> after = ((RecurrentLayer) net.getLayer(0)).rnnGetPreviousState();
        assertEquals(state.keySet(), after.keySet());
        for (String key : state.keySet()) {
            assertTrue(Arrays.equals(state.get(key).shape(), after.get(key).shape()), key + " shape changed");
        }
        assertTrue(growth < BOUND, "off-heap grew by " + growth + " bytes over " + STREAM_STEPS
                + " streaming steps (resident size by " + (Pointer.physicalBytes() - startResident) + ")");
    }
}
