package org.xlstm.dl4j.memory;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.xlstm.dl4j.memory.MemoryNetworks.input;

import java.util.function.Function;

import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.xlstm.dl4j.runtime.WorkspaceBudget;

/**
 * Inference cut into time slices (a 1 MB cap leaves room for no more than the shortest slice, 4,096 steps)
 * gives the outputs of one uncapped pass, to 1e-5 in float32: for {@code output} with a padded batch, in
 * both data formats, and for a many-step {@code rnnTimeStep} followed by single steps.
 */
class SlicedInferenceTest {
    private static final double TOLERANCE = 1e-5;
    /** Longer than the probe slice of a layer's first pass (4,096 rows), so slicing starts within a call. */
    private static final int T = 20_000;
    private static final String UNCAPPED = "64g";
    private static final String TINY_CAP = "1m";

    @BeforeEach
    void seed() {
        Nd4j.getRandom().setSeed(MemoryNetworks.SEED);
    }

    @Test
    void slicedOutputEqualsOnePass() {
        for (RNNFormat format : RNNFormat.values()) {
            MultiLayerNetwork net = MemoryNetworks.mixedStack(format);
            INDArray ncw = input(2, T);
            INDArray x = format == RNNFormat.NCW ? ncw : ncw.permute(0, 2, 1).dup();
            INDArray mask = Nd4j.ones(DataType.FLOAT, 2, T);
            mask.get(org.nd4j.linalg.indexing.NDArrayIndex.point(1),
                    org.nd4j.linalg.indexing.NDArrayIndex.interval(T - 3_000, T)).assign(0);
            Function<MultiLayerNetwork, INDArray> run = n -> n.output(x, false, mask, null).dup();
            // Capped first: the layers' first pass starts with a probe slice, then slices at the floor.
            INDArray sliced = withCap(TINY_CAP, net, run);
            assertSame(format + " output", withCap(UNCAPPED, net, run), sliced);
        }
    }

    @Test
    void slicedTimeStepsEqualOnePass() {
        MultiLayerNetwork net = MemoryNetworks.mixedStack(RNNFormat.NCW);
        INDArray sequence = input(1, T);
        INDArray next = input(1, 1);
        Function<MultiLayerNetwork, INDArray> run = n -> {
            n.rnnClearPreviousState();
            INDArray out = n.rnnTimeStep(sequence).dup();
            INDArray after = n.rnnTimeStep(next).dup();
            return Nd4j.concat(2, out, after);
        };
        INDArray sliced = withCap(TINY_CAP, net, run);
        assertSame("rnnTimeStep", withCap(UNCAPPED, net, run), sliced);
    }

    private static INDArray withCap(String cap, MultiLayerNetwork net, Function<MultiLayerNetwork, INDArray> run) {
        String previous = System.getProperty(WorkspaceBudget.PROPERTY);
        System.setProperty(WorkspaceBudget.PROPERTY, cap);
        try {
            return run.apply(net);
        } finally {
            if (previous == null) {
                System.clearProperty(WorkspaceBudget.PROPERTY);
            } else {
                System.setProperty(WorkspaceBudget.PROPERTY, previous);
            }
        }
    }

    private static void assertSame(String what, INDArray expected, INDArray actual) {
        assertArrayEquals(expected.shape(), actual.shape(), what + " shape");
        double difference = expected.sub(actual).amaxNumber().doubleValue();
        assertTrue(difference <= TOLERANCE, what + ": sliced and whole passes differ by up to " + difference);
    }
}
