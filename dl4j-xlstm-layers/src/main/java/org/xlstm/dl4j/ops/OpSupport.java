package org.xlstm.dl4j.ops;

import java.util.Arrays;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Argument checks and gradient writes shared by the ops in this package. */
public final class OpSupport {

    private OpSupport() {
    }

    public static void requireNonNull(String op, String name, INDArray a) {
        if (a == null) {
            throw new IllegalArgumentException(op + ": " + name + " must not be null");
        }
    }

    public static void requireRank(String op, String name, INDArray a, int rank) {
        requireNonNull(op, name, a);
        if (a.rank() != rank) {
            throw new IllegalArgumentException(op + ": " + name + " must have rank " + rank + ", got shape "
                    + Arrays.toString(a.shape()));
        }
    }

    public static void requireSize(String op, String what, long actual, long expected) {
        if (actual != expected) {
            throw new IllegalArgumentException(op + ": " + what + " expected " + expected + ", got " + actual);
        }
    }

    public static void requireShape(String op, String name, INDArray a, long... expected) {
        requireNonNull(op, name, a);
        if (!Arrays.equals(a.shape(), expected)) {
            throw new IllegalArgumentException(op + ": " + name + " expected shape " + Arrays.toString(expected)
                    + ", got " + Arrays.toString(a.shape()));
        }
    }

    /** Biases and norm weights are accepted as [1, n] or [n]: only their element count matters. */
    public static void requireVector(String op, String name, INDArray a, long length) {
        requireNonNull(op, name, a);
        if (a.length() != length || (a.rank() == 2 && a.size(0) != 1) || a.rank() > 2) {
            throw new IllegalArgumentException(op + ": " + name + " expected shape [1, " + length + "] or ["
                    + length + "], got " + Arrays.toString(a.shape()));
        }
    }

    public static void requireSameType(String op, String name, INDArray a, INDArray reference) {
        if (a != null && a.dataType() != reference.dataType()) {
            throw new IllegalArgumentException(op + ": " + name + " has data type " + a.dataType()
                    + " but the input has " + reference.dataType());
        }
    }

    /**
     * Nd4j.gemm refuses an output that is not one contiguous block; gradient views normally are, so the
     * product lands in place and the fallback copy is only for exotic views.
     */
    public static void gemmInto(INDArray a, INDArray b, INDArray out, boolean transposeA, boolean transposeB) {
        if (out.elementWiseStride() == 1) {
            Nd4j.gemm(a, b, out, transposeA, transposeB, 1.0, 0.0);
        } else {
            out.assign(Nd4j.gemm(a, b, transposeA, transposeB));
        }
    }

    /** Assign semantics for a gradient view whose rank may differ from the computed value's. */
    public static void assignGradient(INDArray target, INDArray value) {
        target.assign(value.reshape(target.shape()));
    }
}
