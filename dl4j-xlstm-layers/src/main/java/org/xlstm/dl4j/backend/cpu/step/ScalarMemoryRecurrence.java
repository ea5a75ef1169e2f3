package org.xlstm.dl4j.backend.cpu.step;

import org.bytedeco.javacpp.FloatPointer;
import org.xlstm.dl4j.backend.cpu.HostArrays;
import org.xlstm.dl4j.kernel.ScalarMemoryKernel;

/**
 * The recurrence of {@link ScalarMemoryKernel} on host floats, float32: the block-diagonal product R h_{t-1}
 * by BLAS and the update of each unit. Shared by the step form of {@code rnnTimeStep} ({@link SLSTMStep}) and
 * the inference forward over a sequence ({@link ScalarMemorySequence}), so both run the same arithmetic.
 */
final class ScalarMemoryRecurrence {
    private final int heads;
    private final int dh;
    private final NativeScratch nativeProduct = new NativeScratch();

    ScalarMemoryRecurrence(int heads, int dh) {
        this.heads = heads;
        this.dh = dh;
    }

    /**
     * R h_{t-1} for each of the rows into {@code product} [rows, NH, 4, DH]: per head, h[row, head] (DH) times
     * R[head] ([DH_in, 4 * DH_out], the four gates of the head side by side).
     *
     * @param r the recurrent kernel [NH, DH, 4, DH], c-order
     * @param h the hidden state [rows, NH * DH], c-order
     */
    void product(FloatPointer r, FloatPointer h, int rows, float[] product) {
        int d = heads * dh;
        FloatPointer out = nativeProduct.of((long) rows * 4 * d);
        for (int row = 0; row < rows; row++) {
            for (int head = 0; head < heads; head++) {
                Blas.vectorTimesMatrix(h, (long) row * d + head * dh, r, (long) head * dh * 4 * dh,
                        out, ((long) row * heads + head) * 4 * dh, dh, 4 * dh);
            }
        }
        HostArrays.read(out, 0, product, 0, rows * 4 * d);
    }

    /**
     * One unit's step from its raw gates (input projections, bias and R h_{t-1}), updating its h, c, n, m in
     * place. A unit with n = 0 has seen nothing and starts fresh (stabilizer i, forget gate 0), as the general
     * kernel's stand-in stabilizer makes it; a unit's reported m is 0 until then.
     */
    static void update(float rawI, float rawF, float rawZ, float rawO, int unit, float[] h, float[] c, float[] n,
                       float[] m) {
        boolean fresh = n[unit] == 0f;
        float decayed = (float) (StepMath.logSigmoid(rawF) + m[unit]);
        float stabilizer = fresh ? rawI : Math.max(rawI, decayed);
        float input = (float) Math.exp(rawI - stabilizer);
        float forget = fresh ? 0f : (float) Math.exp(decayed - stabilizer);
        float cellInput = (float) Math.tanh(rawZ);
        c[unit] = c[unit] * forget + cellInput * input;
        n[unit] = n[unit] * forget + input;
        h[unit] = c[unit] / n[unit] * StepMath.sigmoid(rawO);
        m[unit] = n[unit] != 0f ? stabilizer : 0f;
    }
}
