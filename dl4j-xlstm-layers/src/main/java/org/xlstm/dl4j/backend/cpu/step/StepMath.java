package org.xlstm.dl4j.backend.cpu.step;

import org.xlstm.dl4j.backend.cpu.HostGroupNorm;

/**
 * The element-wise math of the step form on heap float arrays, with the formulas and evaluation order of
 * the general path's ND4J ops ({@code GroupNorm}, {@code Activations}, {@code GateLogs}), so the two agree
 * to float32 rounding. Transcendentals run in double and are rounded once.
 */
final class StepMath {
    private static final double INV_SQRT2 = 1.0 / Math.sqrt(2.0);

    private StepMath() {
    }

    /**
     * GroupNorm without bias over {@code groups} equal groups of x[xOff, xOff+size): (x - mean) / sqrt(var + eps)
     * times (1 + w), biased variance, into y (which must not overlap x). LayerNorm is one group. The
     * normalisation is {@link HostGroupNorm#normalize}, the sequence path's.
     */
    static void groupNorm(float[] x, int xOff, float[] w, int groups, int size, double eps, float[] y, int yOff) {
        System.arraycopy(x, xOff, y, yOff, size);
        int group = size / groups;
        for (int start = 0; start < size; start += group) {
            HostGroupNorm.normalize(y, yOff + start, yOff + start + group, eps);
        }
        for (int j = 0; j < size; j++) {
            y[yOff + j] *= 1f + w[j];
        }
    }

    static float sigmoid(float v) {
        return (float) (1.0 / (1.0 + Math.exp(-v)));
    }

    /** x * sigmoid(x), as {@code Activations.silu}. */
    static float silu(float v) {
        return sigmoid(v) * v;
    }

    /** log(sigmoid(x)) = min(x, 0) - log1p(exp(-|x|)), which neither overflows nor takes log(0). */
    static double logSigmoid(double v) {
        return Math.min(v, 0.0) - Math.log1p(Math.exp(-Math.abs(v)));
    }

    /** Exact GELU 0.5 x (1 + erf(x / sqrt 2)), written as 0.5 x erfc(-x / sqrt 2) (Java has no erf). */
    static float gelu(float v) {
        return (float) (0.5 * v * erfc(-v * INV_SQRT2));
    }

    /**
     * Complementary error function, Chebyshev-fitted (Numerical Recipes' erfcc): relative error below
     * 1.2e-7 everywhere, i.e. float32 precision.
     */
    static double erfc(double x) {
        double z = Math.abs(x);
        double t = 1.0 / (1.0 + 0.5 * z);
        double r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
                + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587
                + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? r : 2.0 - r;
    }

    /**
     * Block-diagonal map ({@code BlockDiagonalLinear}): y_i = W[i] x_i with W [blocks, size, size] (out, in)
     * for the {@code blocks} blocks of x[xOff...], plus bias (or null).
     */
    static void blockDiagonal(float[] x, int xOff, float[] w, float[] bias, int blocks, int size, float[] y,
                              int yOff) {
        for (int i = 0; i < blocks; i++) {
            int in = xOff + i * size;
            for (int o = 0; o < size; o++) {
                int row = (i * size + o) * size;
                float sum = 0f;
                for (int j = 0; j < size; j++) {
                    sum += w[row + j] * x[in + j];
                }
                y[yOff + i * size + o] = bias == null ? sum : sum + bias[i * size + o];
            }
        }
    }

    /** a[i] += b[i] over a range (bias rows). */
    static void add(float[] a, int aOff, float[] b, int length) {
        for (int i = 0; i < length; i++) {
            a[aOff + i] += b[i];
        }
    }
}
