package org.xlstm.dl4j.ops;

import java.util.concurrent.ConcurrentSkipListMap;

import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@link GroupNorm} for dense c-order float32 arrays on the CPU backend, one fused pass per row: each row is
 * read once into a heap scratch, normalised there and written once. ND4J runs the same math as about ten
 * separate passes over [N, F] arrays, each with its own temporary. The statistics of a group are summed in
 * double (four independent accumulators, so the adds pipeline), dW over rows in double partial sums: at
 * least as precise as ND4J's float reductions.
 */
final class HostGroupNorm {
    private static final String OP = "GroupNorm";
    /** Elements per parallel task: below this, forking costs more than it saves. */
    private static final int MIN_ELEMENTS_PER_TASK = 1 << 15;
    /**
     * dW is summed over this many rows in float (a loop C2 vectorises, unlike one converting to double),
     * then added to double partial sums.
     */
    private static final int DW_FLOAT_ROWS = 32;

    private HostGroupNorm() {
    }

    /** y [N, G*S] for x [N, G*S] and w [1, G*S] or [G*S]. */
    static INDArray forward(INDArray x, INDArray w, int groups, double eps) {
        int n = (int) x.size(0);
        int f = (int) x.size(1);
        int s = f / groups;
        float[] scale = scale(w);
        INDArray y = Nd4j.createUninitialized(DataType.FLOAT, n, f);
        FloatPointer xp = HostArrays.pointer(x, OP + " x");
        FloatPointer yp = HostArrays.pointer(y, OP + " y");
        HostArrays.forRows(n, minRows(f), (from, to) -> {
            float[] row = new float[f];
            for (int r = from; r < to; r++) {
                HostArrays.read(xp, (long) r * f, row, 0, f);
                for (int start = 0; start < f; start += s) {
                    normalize(row, start, start + s, eps);
                }
                for (int i = 0; i < f; i++) {
                    row[i] *= scale[i];
                }
                HostArrays.write(row, 0, f, yp, (long) r * f);
            }
        });
        return y;
    }

    /**
     * Writes dW (assign semantics, as {@link OpSupport#assignGradient}) and returns dx [N, G*S]. With
     * g = dy (1 + w), per group: dx = rstd (g - mean(g) - xhat mean(g xhat)), and dW = sum over rows of dy xhat.
     */
    static INDArray backward(INDArray x, INDArray w, int groups, double eps, INDArray dy, INDArray dW) {
        int n = (int) x.size(0);
        int f = (int) x.size(1);
        int s = f / groups;
        float[] scale = scale(w);
        INDArray dx = Nd4j.createUninitialized(DataType.FLOAT, n, f);
        FloatPointer xp = HostArrays.pointer(x, OP + " x");
        FloatPointer dyp = HostArrays.pointer(dy, OP + " dy");
        FloatPointer dxp = HostArrays.pointer(dx, OP + " dx");
        // keyed by the first row of each range, so the partial sums combine in the same order on every run
        ConcurrentSkipListMap<Integer, double[]> partials = new ConcurrentSkipListMap<>();
        HostArrays.forRows(n, minRows(f), (from, to) -> {
            // x, normalised in place into xhat
            float[] xhat = new float[f];
            // dy, turned in place into dx
            float[] g = new float[f];
            float[] dWRows = new float[f];
            double[] dWPart = new double[f];
            for (int r = from; r < to; r++) {
                HostArrays.read(xp, (long) r * f, xhat, 0, f);
                HostArrays.read(dyp, (long) r * f, g, 0, f);
                for (int start = 0; start < f; start += s) {
                    int end = start + s;
                    float rstd = normalize(xhat, start, end, eps);
                    for (int i = start; i < end; i++) {
                        dWRows[i] += g[i] * xhat[i];
                        g[i] *= scale[i];
                    }
                    float meanG = (float) (sum(g, start, end) / s);
                    float meanGx = (float) (dot(g, xhat, start, end) / s);
                    for (int i = start; i < end; i++) {
                        g[i] = rstd * (g[i] - meanG - xhat[i] * meanGx);
                    }
                }
                HostArrays.write(g, 0, f, dxp, (long) r * f);
                if ((r - from) % DW_FLOAT_ROWS == DW_FLOAT_ROWS - 1 || r == to - 1) {
                    for (int i = 0; i < f; i++) {
                        dWPart[i] += dWRows[i];
                        dWRows[i] = 0f;
                    }
                }
            }
            partials.put(from, dWPart);
        });
        double[] sums = new double[f];
        for (double[] part : partials.values()) {
            for (int i = 0; i < f; i++) {
                sums[i] += part[i];
            }
        }
        float[] total = new float[f];
        for (int i = 0; i < f; i++) {
            total[i] = (float) sums[i];
        }
        HostArrays.writeGradient(total, dW, OP + " dW");
        return dx;
    }

    /** Normalises the group [start, end) of {@code row} in place (biased variance); returns its 1 / std. */
    private static float normalize(float[] row, int start, int end, double eps) {
        int size = end - start;
        double mean = sum(row, start, end) / size;
        float rstd = (float) (1.0 / Math.sqrt(centeredSquares(row, start, end, mean) / size + eps));
        float m = (float) mean;
        for (int i = start; i < end; i++) {
            row[i] = (row[i] - m) * rstd;
        }
        return rstd;
    }

    /** 1 + w, read once (w is often a view of DL4J's flat parameter vector). */
    private static float[] scale(INDArray w) {
        float[] scale = new float[(int) w.length()];
        HostArrays.read(HostArrays.pointer(w, OP + " w"), 0, scale, 0, scale.length);
        for (int i = 0; i < scale.length; i++) {
            scale[i] += 1f;
        }
        return scale;
    }

    private static int minRows(int features) {
        return Math.max(1, MIN_ELEMENTS_PER_TASK / Math.max(1, features));
    }

    private static double sum(float[] a, int from, int to) {
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        int i = from;
        for (; i + 3 < to; i += 4) {
            s0 += a[i];
            s1 += a[i + 1];
            s2 += a[i + 2];
            s3 += a[i + 3];
        }
        for (; i < to; i++) {
            s0 += a[i];
        }
        return (s0 + s1) + (s2 + s3);
    }

    private static double dot(float[] a, float[] b, int from, int to) {
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        int i = from;
        for (; i + 3 < to; i += 4) {
            s0 += a[i] * b[i];
            s1 += a[i + 1] * b[i + 1];
            s2 += a[i + 2] * b[i + 2];
            s3 += a[i + 3] * b[i + 3];
        }
        for (; i < to; i++) {
            s0 += a[i] * b[i];
        }
        return (s0 + s1) + (s2 + s3);
    }

    private static double centeredSquares(float[] a, int from, int to, double mean) {
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        int i = from;
        for (; i + 3 < to; i += 4) {
            double d0 = a[i] - mean;
            double d1 = a[i + 1] - mean;
            double d2 = a[i + 2] - mean;
            double d3 = a[i + 3] - mean;
            s0 += d0 * d0;
            s1 += d1 * d1;
            s2 += d2 * d2;
            s3 += d3 * d3;
        }
        for (; i < to; i++) {
            double d = a[i] - mean;
            s0 += d * d;
        }
        return (s0 + s1) + (s2 + s3);
    }
}
