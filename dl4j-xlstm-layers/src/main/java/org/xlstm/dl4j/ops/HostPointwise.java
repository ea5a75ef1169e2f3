package org.xlstm.dl4j.ops;

import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The SiLU of {@link Activations} for dense c-order float32 arrays on the CPU backend, as one fused pass
 * over chunks read into heap scratch: ND4J runs the same formulas as about three (forward) or seven
 * (backward) separate passes over full-size arrays. Element-wise, so the shape does not matter; the
 * arrays are walked as flat runs of their elements.
 *
 * <p>The sigmoid uses its own exp, split into passes that HotSpot's C2 vectorises: {@code Math.exp} is a
 * scalar call, which made a loop over it slower than ND4J's vectorised passes.
 */
final class HostPointwise {
    private static final String OP = "Activations";
    /** Elements per chunk: the scratch of a chunk stays in L1. */
    private static final int CHUNK = 1024;
    /** Chunks per parallel task: below this, forking costs more than it saves. */
    private static final int MIN_CHUNKS_PER_TASK = 32;
    private static final float LOG2E = 1.44269504088896341f;
    /** ln 2 as a float sum, so {@code t - k ln 2} stays exact to float precision for |k| up to 127. */
    private static final float LN2_HIGH = 0.693359375f;
    private static final float LN2_LOW = -2.12194440e-4f;
    /** Adding and subtracting 1.5 * 2^23 rounds a float of magnitude below 2^22 to an integer. */
    private static final float ROUNDER = 12582912f;
    /**
     * exp(t) is evaluated for t in [-87, 88], where 2^round(t log2 e) is a normal float; beyond it, sigmoid
     * is 1 in float or below 1e-38.
     */
    private static final float EXP_MIN = -87f;
    private static final float EXP_MAX = 88f;

    private HostPointwise() {
    }

    /** A new array {@code x * sigmoid(x)}. */
    static INDArray silu(INDArray x) {
        INDArray y = Nd4j.createUninitialized(DataType.FLOAT, x.shape());
        FloatPointer xp = HostArrays.pointer(x, OP + " silu x");
        FloatPointer yp = HostArrays.pointer(y, OP + " silu y");
        forEachChunk(x.length(), (offset, n, w) -> {
            HostArrays.read(xp, offset, w.x, 0, n);
            sigmoid(w.x, n, w.s, w.e);
            for (int i = 0; i < n; i++) {
                w.x[i] *= w.s[i];
            }
            HostArrays.write(w.x, 0, n, yp, offset);
        });
        return y;
    }

    /** A new array {@code dy * s * (1 + x (1 - s))} with s = sigmoid(x). */
    static INDArray siluBackward(INDArray x, INDArray dy) {
        INDArray dx = Nd4j.createUninitialized(DataType.FLOAT, x.shape());
        FloatPointer xp = HostArrays.pointer(x, OP + " siluBackward x");
        FloatPointer dyp = HostArrays.pointer(dy, OP + " siluBackward dy");
        FloatPointer dxp = HostArrays.pointer(dx, OP + " siluBackward dx");
        forEachChunk(x.length(), (offset, n, w) -> {
            HostArrays.read(xp, offset, w.x, 0, n);
            HostArrays.read(dyp, offset, w.g, 0, n);
            sigmoid(w.x, n, w.s, w.e);
            for (int i = 0; i < n; i++) {
                // 1 - s = e s, which keeps its precision where s is close to 1
                w.g[i] *= w.s[i] * (1f + w.x[i] * (w.e[i] * w.s[i]));
            }
            HostArrays.write(w.g, 0, n, dxp, offset);
        });
        return dx;
    }

    /** One task's heap scratch for a chunk: inputs x and g, the sigmoid s and e = exp(-x). */
    private static final class ChunkScratch {
        final float[] x = new float[CHUNK];
        final float[] g = new float[CHUNK];
        final float[] s = new float[CHUNK];
        final float[] e = new float[CHUNK];
    }

    @FunctionalInterface
    private interface ChunkBody {
        void run(long offset, int length, ChunkScratch scratch);
    }

    /** Runs {@code body} over the flat elements [0, length) in chunks of {@link #CHUNK}, tasks in parallel. */
    private static void forEachChunk(long length, ChunkBody body) {
        HostArrays.forRows(chunks(length), MIN_CHUNKS_PER_TASK, (from, to) -> {
            ChunkScratch scratch = new ChunkScratch();
            for (int c = from; c < to; c++) {
                long offset = (long) c * CHUNK;
                body.run(offset, (int) Math.min(CHUNK, length - offset), scratch);
            }
        });
    }

    /**
     * s[i] = sigmoid(x[i]) = 1 / (1 + e[i]) and e[i] = exp(-x[i]) for i < n, relative error below 2e-7. exp(t) is
     * 2^k p(r) with k = round(t log2 e), r = t - k ln 2 in [-ln2/2, ln2/2] and p Cephes' degree-7 expf
     * polynomial. The first and last passes are plain float arithmetic, which C2 vectorises; the middle one
     * builds 2^k from its exponent bits, which it does not.
     */
    static void sigmoid(float[] x, int n, float[] s, float[] e) {
        for (int i = 0; i < n; i++) {
            float t = Math.min(Math.max(-x[i], EXP_MIN), EXP_MAX);
            float k = (t * LOG2E + ROUNDER) - ROUNDER;
            float r = t - k * LN2_HIGH - k * LN2_LOW;
            float p = ((((1.9875691500e-4f * r + 1.3981999507e-3f) * r + 8.3334519073e-3f) * r
                    + 4.1665795894e-2f) * r + 1.6666665459e-1f) * r + 5.0000001201e-1f;
            e[i] = p * (r * r) + r + 1f;
            s[i] = k;
        }
        for (int i = 0; i < n; i++) {
            s[i] = Float.intBitsToFloat(((int) s[i] + 127) << 23);
        }
        for (int i = 0; i < n; i++) {
            e[i] *= s[i];
            s[i] = 1f / (1f + e[i]);
        }
    }

    private static int chunks(long length) {
        return Math.toIntExact((length + CHUNK - 1) / CHUNK);
    }
}
