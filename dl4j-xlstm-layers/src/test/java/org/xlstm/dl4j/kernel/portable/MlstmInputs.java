package org.xlstm.dl4j.kernel.portable;

import static org.nd4j.linalg.indexing.NDArrayIndex.all;
import static org.nd4j.linalg.indexing.NDArrayIndex.interval;
import static org.nd4j.linalg.indexing.NDArrayIndex.point;

import java.util.ArrayList;
import java.util.List;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.xlstm.dl4j.kernel.MatrixMemoryKernel;
import org.xlstm.dl4j.kernel.MatrixMemoryState;
import org.xlstm.dl4j.kernel.MatrixMemoryStep;

/** Inputs of one mLSTM sequence call and the helpers the tests share. */
public final class MlstmInputs {
    public final INDArray q;
    public final INDArray k;
    public final INDArray v;
    public final INDArray igate;
    public final INDArray fgate;

    MlstmInputs(INDArray q, INDArray k, INDArray v, INDArray igate, INDArray fgate) {
        this.q = q;
        this.k = k;
        this.v = v;
        this.igate = igate;
        this.fgate = fgate;
    }

    /** Gaussian q, k, v; input gates N(0, 1); forget gates N(2, 1.5) (mostly remembering, some forgetting). */
    public static MlstmInputs random(long seed, int batch, int heads, int length, int headSize) {
        Nd4j.getRandom().setSeed(seed);
        return new MlstmInputs(
                Nd4j.randn(DataType.DOUBLE, batch, heads, length, headSize),
                Nd4j.randn(DataType.DOUBLE, batch, heads, length, headSize),
                Nd4j.randn(DataType.DOUBLE, batch, heads, length, headSize),
                Nd4j.randn(DataType.DOUBLE, batch, heads, length),
                Nd4j.randn(DataType.DOUBLE, batch, heads, length).muli(1.5).addi(2.0));
    }

    /** A carried state with Gaussian C, n and m. */
    public static MatrixMemoryState randomState(long seed, int batch, int heads, int headSize) {
        Nd4j.getRandom().setSeed(seed);
        return new MatrixMemoryState(Nd4j.randn(DataType.DOUBLE, batch, heads, headSize, headSize),
                Nd4j.randn(DataType.DOUBLE, batch, heads, headSize), Nd4j.randn(DataType.DOUBLE, batch, heads));
    }

    public MlstmInputs castTo(DataType type) {
        return new MlstmInputs(q.castTo(type), k.castTo(type), v.castTo(type), igate.castTo(type), fgate.castTo(type));
    }

    /** Steps [from, to) of every array. */
    MlstmInputs steps(long from, long to) {
        return new MlstmInputs(
                q.get(all(), all(), interval(from, to), all()).dup(),
                k.get(all(), all(), interval(from, to), all()).dup(),
                v.get(all(), all(), interval(from, to), all()).dup(),
                igate.get(all(), all(), interval(from, to)).dup(),
                fgate.get(all(), all(), interval(from, to)).dup());
    }

    long length() {
        return q.size(2);
    }

    /** Runs the step form over the whole sequence: h [B, NH, T, DH] and the final state. */
    MatrixMemoryStep stepLoop(MatrixMemoryKernel kernel, INDArray mask, MatrixMemoryState initial) {
        List<INDArray> outputs = new ArrayList<>();
        MatrixMemoryState state = initial;
        for (long t = 0; t < length(); t++) {
            MatrixMemoryStep step = kernel.step(
                    q.get(all(), all(), point(t), all()).dup(),
                    k.get(all(), all(), point(t), all()).dup(),
                    v.get(all(), all(), point(t), all()).dup(),
                    igate.get(all(), all(), point(t)).dup(),
                    fgate.get(all(), all(), point(t)).dup(),
                    mask == null ? null : mask.get(all(), point(t)).dup(),
                    state);
            outputs.add(step.h.reshape(step.h.size(0), step.h.size(1), 1, step.h.size(2)));
            state = step.state;
        }
        return new MatrixMemoryStep(Nd4j.concat(2, outputs.toArray(new INDArray[0])), state);
    }

    public static double maxAbs(INDArray a) {
        return a.castTo(DataType.DOUBLE).amaxNumber().doubleValue();
    }

    public static double maxAbsDiff(INDArray a, INDArray b) {
        return maxAbs(a.castTo(DataType.DOUBLE).sub(b.castTo(DataType.DOUBLE)));
    }
}
