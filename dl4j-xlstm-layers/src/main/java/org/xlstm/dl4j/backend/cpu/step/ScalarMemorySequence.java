package org.xlstm.dl4j.backend.cpu.step;

import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.xlstm.dl4j.backend.cpu.HostArrays;
import org.xlstm.dl4j.kernel.ScalarMemoryForward;
import org.xlstm.dl4j.kernel.ScalarMemoryKernel;
import org.xlstm.dl4j.kernel.ScalarMemoryState;

/**
 * The sLSTM recurrence of an inference forward over a sequence, float32 on the CPU backend: the step form's
 * {@link ScalarMemoryRecurrence} run over the steps, with every buffer allocated once per call. The general
 * kernel runs about fifteen ND4J ops per step, and each op leaves small native objects (buffer views, op
 * contexts) that only the garbage collector frees: over 200,000 steps the resident set rose 90-120 MB between
 * collections. This loop runs no ND4J op per step. It keeps nothing for backward: training forwards take the
 * general kernel.
 */
public final class ScalarMemorySequence {

    private ScalarMemorySequence() {
    }

    /**
     * As {@link ScalarMemoryKernel#forward}, without residuals for backward.
     *
     * @param preact    [B, T, NH, 4, DH] float32 (input projections plus bias, gate order i, f, z, o)
     * @param recurrent R [NH, DH, 4, DH] float32
     * @param mask      [B, T] (1 real step, 0 padding: state unchanged, output 0) or null
     * @param initial   the state before the first step, or null for zeros
     */
    public static ScalarMemoryForward forward(INDArray preact, INDArray recurrent, INDArray mask,
                                              ScalarMemoryState initial) {
        if (preact.rank() != 5 || preact.size(3) != 4 || preact.dataType() != DataType.FLOAT) {
            throw new IllegalArgumentException("sLSTM sequence: preact must be float32 [B, T, NH, 4, DH], got "
                    + preact.dataType() + " " + java.util.Arrays.toString(preact.shape()));
        }
        int batch = (int) preact.size(0);
        int time = (int) preact.size(1);
        int heads = (int) preact.size(2);
        int dh = (int) preact.size(4);
        int d = heads * dh;
        FloatPointer pre = HostArrays.pointer(dense(preact), "sLSTM preact");
        FloatPointer r = HostArrays.pointer(dense(recurrent), "sLSTM recurrent kernel R");
        float[] keep = mask == null ? null : rows(mask, batch * time);
        float[] h = initial == null ? new float[batch * d] : rows(initial.h, batch * d);
        float[] c = initial == null ? new float[batch * d] : rows(initial.c, batch * d);
        float[] n = initial == null ? new float[batch * d] : rows(initial.n, batch * d);
        float[] m = initial == null ? new float[batch * d] : rows(initial.m, batch * d);
        float[] product = new float[batch * 4 * d];
        float[] raw = new float[4 * d];
        float[] zeros = new float[d];
        INDArray hidden = Nd4j.createUninitialized(DataType.FLOAT, batch, time, d);
        FloatPointer out = HostArrays.pointer(hidden, "sLSTM hidden");
        ScalarMemoryRecurrence recurrence = new ScalarMemoryRecurrence(heads, dh);
        try (FloatPointer previous = new FloatPointer((long) batch * d)) {
            for (int t = 0; t < time; t++) {
                HostArrays.write(h, 0, batch * d, previous, 0);
                recurrence.product(r, previous, batch, product);
                for (int row = 0; row < batch; row++) {
                    long at = (long) row * time + t;
                    if (keep != null && keep[(int) at] == 0f) {
                        HostArrays.write(zeros, 0, d, out, at * d);
                        continue;
                    }
                    HostArrays.read(pre, at * 4 * d, raw, 0, 4 * d);
                    for (int head = 0; head < heads; head++) {
                        int gates = head * 4 * dh;
                        int rec = row * 4 * d + gates;
                        for (int u = 0; u < dh; u++) {
                            ScalarMemoryRecurrence.update(raw[gates + u] + product[rec + u],
                                    raw[gates + dh + u] + product[rec + dh + u],
                                    raw[gates + 2 * dh + u] + product[rec + 2 * dh + u],
                                    raw[gates + 3 * dh + u] + product[rec + 3 * dh + u],
                                    row * d + head * dh + u, h, c, n, m);
                        }
                    }
                    HostArrays.write(h, row * d, d, out, at * d);
                }
            }
        }
        ScalarMemoryState last = new ScalarMemoryState(array(h, batch, d), array(c, batch, d), array(n, batch, d),
                array(m, batch, d));
        return new ScalarMemoryForward(hidden, last, null);
    }

    private static INDArray dense(INDArray a) {
        return HostArrays.isDense(a) && a.dataType() == DataType.FLOAT ? a : a.castTo(DataType.FLOAT).dup('c');
    }

    /** The elements of {@code a} in c order, as floats. */
    private static float[] rows(INDArray a, int length) {
        float[] values = new float[length];
        HostArrays.read(HostArrays.pointer(dense(a), "sLSTM state or mask"), 0, values, 0, length);
        return values;
    }

    private static INDArray array(float[] values, int batch, int d) {
        INDArray a = Nd4j.createUninitialized(DataType.FLOAT, batch, d);
        HostArrays.write(values, 0, values.length, HostArrays.pointer(a, "sLSTM state"), 0);
        return a;
    }
}
