package org.xlstm.dl4j.kernel.portable;

import static org.nd4j.linalg.indexing.NDArrayIndex.all;
import static org.nd4j.linalg.indexing.NDArrayIndex.interval;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.xlstm.dl4j.kernel.MatrixMemoryForward;
import org.xlstm.dl4j.kernel.MatrixMemoryGradients;
import org.xlstm.dl4j.kernel.MatrixMemoryKernel;
import org.xlstm.dl4j.kernel.MatrixMemoryState;

/**
 * A kernel's whole-sequence backward against the backward of the same sequence cut in two pieces: the second
 * piece starts from the first's final state, its initial-state gradient (C, n) goes into the first piece's
 * backward as the final-state gradient. Shared by the kernels' tests.
 */
public final class PiecewiseBackward {
    private static final int BATCH = 2;
    private static final int HEADS = 2;
    private static final int LENGTH = 24;
    private static final int HEAD_SIZE = 4;
    private static final int CHUNK = 4;

    private PiecewiseBackward() {
    }

    /**
     * The largest difference between the two, relative to the largest magnitude of each whole-sequence
     * gradient: dq, dk, dv, the gate gradients and the gradient of the sequence's initial state.
     *
     * @param split   where the second piece starts
     * @param chained whether the first piece gets the second's initial-state gradient (false: none, as in
     *                truncated backprop)
     * @param masked  with padding in both pieces (one row's last steps, the other's steps around the split)
     */
    public static double error(MatrixMemoryKernel kernel, DataType type, int split, boolean chained, boolean masked) {
        MlstmInputs in = MlstmInputs.random(41, BATCH, HEADS, LENGTH, HEAD_SIZE).castTo(type);
        MatrixMemoryState initial = MlstmInputs.randomState(42, BATCH, HEADS, HEAD_SIZE).castTo(type);
        Nd4j.getRandom().setSeed(43);
        INDArray dh = Nd4j.randn(DataType.DOUBLE, in.q.shape()).castTo(type);
        INDArray mask = null;
        if (masked) {
            mask = Nd4j.ones(type, BATCH, LENGTH);
            for (int t = LENGTH - 5; t < LENGTH; t++) {
                mask.putScalar(0, t, 0.0);
            }
            for (int t = split - 2; t < split + 3; t++) {
                mask.putScalar(1, t, 0.0);
            }
        }

        MatrixMemoryForward whole = kernel.forward(in.q, in.k, in.v, in.igate, in.fgate, mask, initial, CHUNK);
        MatrixMemoryGradients expected = kernel.backward(whole, dh);

        MlstmInputs first = in.steps(0, split);
        MlstmInputs second = in.steps(split, LENGTH);
        MatrixMemoryForward f1 = kernel.forward(first.q, first.k, first.v, first.igate, first.fgate,
                steps(mask, 0, split), initial, CHUNK);
        MatrixMemoryForward f2 = kernel.forward(second.q, second.k, second.v, second.igate, second.fgate,
                steps(mask, split, LENGTH), f1.finalState, CHUNK);
        MatrixMemoryGradients g2 = kernel.backward(f2, dh.get(all(), all(), interval(split, LENGTH), all()).dup());
        MatrixMemoryState dFinal = chained ? new MatrixMemoryState(g2.dInitial.c, g2.dInitial.n, null) : null;
        MatrixMemoryGradients g1 = kernel.backward(f1, dh.get(all(), all(), interval(0, split), all()).dup(), dFinal);

        double error = 0;
        error = Math.max(error, relative(expected.dq, Nd4j.concat(2, g1.dq, g2.dq)));
        error = Math.max(error, relative(expected.dk, Nd4j.concat(2, g1.dk, g2.dk)));
        error = Math.max(error, relative(expected.dv, Nd4j.concat(2, g1.dv, g2.dv)));
        error = Math.max(error, relative(expected.dIgate, Nd4j.concat(2, g1.dIgate, g2.dIgate)));
        error = Math.max(error, relative(expected.dFgate, Nd4j.concat(2, g1.dFgate, g2.dFgate)));
        error = Math.max(error, relative(expected.dInitial.c, g1.dInitial.c));
        error = Math.max(error, relative(expected.dInitial.n, g1.dInitial.n));
        return Math.max(error, relative(expected.dInitial.m, g1.dInitial.m));
    }

    private static INDArray steps(INDArray mask, long from, long to) {
        return mask == null ? null : mask.get(all(), interval(from, to)).dup();
    }

    private static double relative(INDArray expected, INDArray actual) {
        return MlstmInputs.maxAbsDiff(expected, actual) / MlstmInputs.maxAbs(expected);
    }
}
