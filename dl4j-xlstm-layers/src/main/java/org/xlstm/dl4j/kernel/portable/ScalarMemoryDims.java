package org.xlstm.dl4j.kernel.portable;

import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.xlstm.dl4j.kernel.ScalarMemoryState;

/** Sizes of one sLSTM call, read from the pre-activations and checked against every other argument. */
final class ScalarMemoryDims {
    final long batch;
    final long time;
    final long heads;
    final long headSize;

    private ScalarMemoryDims(long batch, long time, long heads, long headSize) {
        this.batch = batch;
        this.time = time;
        this.heads = heads;
        this.headSize = headSize;
    }

    long units() {
        return heads * headSize;
    }

    /** preact [B, T, NH, 4, DH]. */
    static ScalarMemoryDims ofSequence(INDArray preact) {
        requireNonNull("preact", preact);
        long[] s = preact.shape();
        if (s.length != 5 || s[3] != 4) {
            throw new IllegalArgumentException("preact: expected [B, T, NH, 4, DH], got " + Arrays.toString(s));
        }
        return new ScalarMemoryDims(s[0], s[1], s[2], s[4]);
    }

    /** preact [B, NH, 4, DH]. */
    static ScalarMemoryDims ofStep(INDArray preact) {
        requireNonNull("preact", preact);
        long[] s = preact.shape();
        if (s.length != 4 || s[2] != 4) {
            throw new IllegalArgumentException("preact: expected [B, NH, 4, DH], got " + Arrays.toString(s));
        }
        return new ScalarMemoryDims(s[0], 1, s[1], s[3]);
    }

    void checkRecurrent(INDArray recurrent) {
        requireNonNull("recurrent", recurrent);
        requireShape("recurrent", recurrent, heads, headSize, 4, headSize);
    }

    void checkSequenceMask(INDArray mask) {
        if (mask != null) {
            requireShape("mask", mask, batch, time);
        }
    }

    void checkStepMask(INDArray mask) {
        if (mask != null) {
            requireShape("mask", mask, batch);
        }
    }

    void checkState(String name, ScalarMemoryState state) {
        if (state == null) {
            return;
        }
        requireShape(name + ".h", state.h, batch, units());
        requireShape(name + ".c", state.c, batch, units());
        requireShape(name + ".n", state.n, batch, units());
        requireShape(name + ".m", state.m, batch, units());
    }

    void checkHiddenGradient(INDArray dh) {
        requireNonNull("dh", dh);
        requireShape("dh", dh, batch, time, units());
    }

    static void requireFloatingPoint(String name, INDArray array) {
        DataType type = array.dataType();
        if (!type.isFPType()) {
            throw new IllegalArgumentException(name + ": expected a floating-point data type, got " + type);
        }
    }

    private static void requireNonNull(String name, Object value) {
        if (value == null) {
            throw new IllegalArgumentException(name + ": must not be null");
        }
    }

    private static void requireShape(String name, INDArray array, long... expected) {
        requireNonNull(name, array);
        if (!Arrays.equals(array.shape(), expected)) {
            throw new IllegalArgumentException(name + ": expected shape " + Arrays.toString(expected) + ", got "
                    + Arrays.toString(array.shape()));
        }
    }
}
