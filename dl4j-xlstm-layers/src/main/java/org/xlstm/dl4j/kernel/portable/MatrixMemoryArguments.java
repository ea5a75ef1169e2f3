package org.xlstm.dl4j.kernel.portable;

import java.util.Arrays;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.xlstm.dl4j.kernel.MatrixMemoryState;

/** Argument checks shared by the sequence, parallel and step forms; failures name the argument. */
public final class MatrixMemoryArguments {
    private MatrixMemoryArguments() {
    }

    /** Checks q, k, v [B, NH, T, DH], gates [B, NH, T], mask [B, T] or null, and the optional state. */
    public static void checkSequence(INDArray q, INDArray k, INDArray v, INDArray igate, INDArray fgate,
                              INDArray mask, MatrixMemoryState state) {
        requireRank("q", q, 4, "[B, NH, T, DH]");
        long[] s = q.shape();
        if (s[2] < 1) {
            throw new IllegalArgumentException("q: the time dimension must be at least 1, got shape "
                    + Arrays.toString(s));
        }
        DataType type = q.dataType();
        ComputeTypes.computeTypeFor(type);
        requireShape("k", k, type, s);
        requireShape("v", v, type, s);
        requireShape("igate", igate, type, s[0], s[1], s[2]);
        requireShape("fgate", fgate, type, s[0], s[1], s[2]);
        if (mask != null) {
            requireShape("mask", mask, null, s[0], s[2]);
        }
        checkState(state, type, s[0], s[1], s[3]);
    }

    /** Checks q, k, v [B, NH, DH], gates [B, NH], mask [B] or null, and the optional state. */
    public static void checkStep(INDArray q, INDArray k, INDArray v, INDArray igate, INDArray fgate,
                          INDArray mask, MatrixMemoryState state) {
        requireRank("q", q, 3, "[B, NH, DH]");
        long[] s = q.shape();
        DataType type = q.dataType();
        ComputeTypes.computeTypeFor(type);
        requireShape("k", k, type, s);
        requireShape("v", v, type, s);
        requireShape("igate", igate, type, s[0], s[1]);
        requireShape("fgate", fgate, type, s[0], s[1]);
        if (mask != null) {
            requireShape("mask", mask, null, s[0]);
        }
        checkState(state, type, s[0], s[1], s[2]);
    }

    /** Checks dh against the shape of the forward output. */
    public static void checkUpstream(INDArray dh, long[] expectedShape) {
        if (dh == null) {
            throw new IllegalArgumentException("dh: must not be null, expected shape "
                    + Arrays.toString(expectedShape));
        }
        requireShape("dh", dh, null, expectedShape);
    }

    /** dL/d(final state) of a backward: C [B, NH, DH, DH] and n [B, NH, DH]; null (no gradient) passes. */
    public static void checkFinalStateGradient(MatrixMemoryState dFinal, long batch, long heads, long headSize) {
        if (dFinal == null) {
            return;
        }
        requireShape("dFinal.c", dFinal.c, null, batch, heads, headSize, headSize);
        requireShape("dFinal.n", dFinal.n, null, batch, heads, headSize);
    }

    private static void checkState(MatrixMemoryState state, DataType type, long batch, long heads, long headSize) {
        if (state == null) {
            return;
        }
        requireShape("state.c", state.c, type, batch, heads, headSize, headSize);
        requireShape("state.n", state.n, type, batch, heads, headSize);
        requireShape("state.m", state.m, type, batch, heads);
    }

    private static void requireRank(String name, INDArray array, int rank, String layout) {
        if (array == null) {
            throw new IllegalArgumentException(name + ": must not be null, expected " + layout);
        }
        if (array.rank() != rank) {
            throw new IllegalArgumentException(name + ": expected rank " + rank + " " + layout + ", got shape "
                    + Arrays.toString(array.shape()));
        }
    }

    /** {@code type} null accepts any numeric type (masks may come in any type DL4J uses). */
    private static void requireShape(String name, INDArray array, DataType type, long... shape) {
        if (array == null) {
            throw new IllegalArgumentException(name + ": must not be null, expected shape " + Arrays.toString(shape));
        }
        if (!Arrays.equals(array.shape(), shape)) {
            throw new IllegalArgumentException(name + ": expected shape " + Arrays.toString(shape) + ", got "
                    + Arrays.toString(array.shape()));
        }
        if (type != null && array.dataType() != type) {
            throw new IllegalArgumentException(name + ": expected data type " + type + " (the type of q), got "
                    + array.dataType());
        }
        if (type == null && !array.dataType().isNumerical()) {
            throw new IllegalArgumentException(name + ": expected a numeric data type, got " + array.dataType());
        }
    }
}
