package org.xlstm.dl4j.backend.cpu;

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
public final class HostGroupNorm {
    private static final String OP = "GroupNorm";
    /** Elements per parallel task: below this, forking costs more than it saves. */
    private static final int MIN_ELEMENTS_PER_TASK = 1 << 15;

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
            RowTiles.Reader xs = new RowTiles.Reader(xp, f, from, to);
            RowTiles.Writer ys = new RowTiles.Writer(yp, f, from, to);
            for (int r = from; r < to; r++) {
                xs.next(row);
                for (int start = 0; start < f; start += s) {
                    normalize(row, start, start + s, eps);
                }
                for (int i = 0; i < f; i++) {
                    row[i] *= scale[i];
                }
                ys.put(row);
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
        ColumnSums dWSums = new ColumnSums(f);
        HostArrays.forRows(n, minRows(f), (from, to) -> {
            // x, normalised in place into xhat
            float[] xhat = new float[f];
            // dy, turned in place into dx
            float[] g = new float[f];
            ColumnSums.Range dWRows = dWSums.range(from);
            RowTiles.Reader xs = new RowTiles.Reader(xp, f, from, to);
            RowTiles.Reader dys = new RowTiles.Reader(dyp, f, from, to);
            RowTiles.Writer dxs = new RowTiles.Writer(dxp, f, from, to);
            for (int r = from; r < to; r++) {
                xs.next(xhat);
                dys.next(g);
                for (int start = 0; start < f; start += s) {
                    float rstd = normalize(xhat, start, start + s, eps);
                    backwardGroup(xhat, rstd, scale, g, dWRows.rows, start, start + s);
                }
                dxs.put(g);
                dWRows.endRow();
            }
        });
        dWSums.assignTo(dW);
        return dx;
    }

    /**
     * The backward of one group [start, end) of a row: adds dy xhat to {@code dWRow} and turns dy, held in
     * {@code g}, into dx = rstd (g - mean(g) - xhat mean(g xhat)) with g = dy (1 + w).
     */
    static void backwardGroup(float[] xhat, float rstd, float[] scale, float[] g, float[] dWRow, int start, int end) {
        for (int i = start; i < end; i++) {
            dWRow[i] += g[i] * xhat[i];
            g[i] *= scale[i];
        }
        int size = end - start;
        float meanG = (float) (sum(g, start, end) / size);
        float meanGx = (float) (dot(g, xhat, start, end) / size);
        for (int i = start; i < end; i++) {
            g[i] = rstd * (g[i] - meanG - xhat[i] * meanGx);
        }
    }

    /**
     * Normalises the group [start, end) of {@code row} in place (biased variance); returns its 1 / std. The
     * one row normalisation of the CPU backend: the sequence ops and the step forms both call it.
     */
    public static float normalize(float[] row, int start, int end, double eps) {
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
    static float[] scale(INDArray w) {
        float[] scale = new float[(int) w.length()];
        HostArrays.read(HostArrays.pointer(w, OP + " w"), 0, scale, 0, scale.length);
        for (int i = 0; i < scale.length; i++) {
            scale[i] += 1f;
        }
        return scale;
    }

    static int minRows(int features) {
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
