package org.xlstm.dl4j.backend.cpu;

import org.xlstm.dl4j.ops.NormSkipGate;
import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@link NormSkipGate} for dense c-order float32 arrays on the CPU backend: one pass over the rows, each
 * row of every input read once into heap scratch and every output written once, with
 * {@link HostGroupNorm}'s group steps and {@link HostPointwise}'s sigmoid. The backward recomputes the
 * normalised h and the sigmoid of z from its inputs, cheaper than writing them in the forward and reading
 * them back.
 */
final class HostNormSkipGate {
    private static final String OP = "NormSkipGate";

    private HostNormSkipGate() {
    }

    static INDArray forward(INDArray h, INDArray x, INDArray z, INDArray w, INDArray skip, int groups, double eps) {
        int n = (int) h.size(0);
        int f = (int) h.size(1);
        int s = f / groups;
        float[] scale = HostGroupNorm.scale(w);
        float[] skipScale = read(skip, "skip");
        INDArray y = Nd4j.createUninitialized(DataType.FLOAT, n, f);
        FloatPointer hp = HostArrays.pointer(h, OP + " h");
        FloatPointer xp = HostArrays.pointer(x, OP + " x");
        FloatPointer zp = HostArrays.pointer(z, OP + " z");
        FloatPointer yp = HostArrays.pointer(y, OP + " y");
        HostArrays.forRows(n, HostGroupNorm.minRows(f), (from, to) -> {
            RowScratch row = new RowScratch(hp, xp, zp, f, from, to);
            RowTiles.Writer ys = new RowTiles.Writer(yp, f, from, to);
            for (int r = from; r < to; r++) {
                row.next();
                for (int start = 0; start < f; start += s) {
                    HostGroupNorm.normalize(row.h, start, start + s, eps);
                }
                for (int i = 0; i < f; i++) {
                    row.h[i] = (row.h[i] * scale[i] + row.x[i] * skipScale[i]) * (row.z[i] * row.s[i]);
                }
                ys.put(row.h);
            }
        });
        return y;
    }

    static NormSkipGate.Gradients backward(INDArray h, INDArray x, INDArray z, INDArray w, INDArray skip, int groups,
                                           double eps, INDArray dy, INDArray dW, INDArray dSkip) {
        int n = (int) h.size(0);
        int f = (int) h.size(1);
        int s = f / groups;
        float[] scale = HostGroupNorm.scale(w);
        float[] skipScale = read(skip, "skip");
        INDArray dh = Nd4j.createUninitialized(DataType.FLOAT, n, f);
        INDArray dx = Nd4j.createUninitialized(DataType.FLOAT, n, f);
        INDArray dz = Nd4j.createUninitialized(DataType.FLOAT, n, f);
        FloatPointer hp = HostArrays.pointer(h, OP + " h");
        FloatPointer xp = HostArrays.pointer(x, OP + " x");
        FloatPointer zp = HostArrays.pointer(z, OP + " z");
        FloatPointer dyp = HostArrays.pointer(dy, OP + " dy");
        FloatPointer dhp = HostArrays.pointer(dh, OP + " dh");
        FloatPointer dxp = HostArrays.pointer(dx, OP + " dx");
        FloatPointer dzp = HostArrays.pointer(dz, OP + " dz");
        ColumnSums dWSums = new ColumnSums(f);
        ColumnSums dSkipSums = new ColumnSums(f);
        HostArrays.forRows(n, HostGroupNorm.minRows(f), (from, to) -> {
            RowScratch row = new RowScratch(hp, xp, zp, f, from, to);
            RowTiles.Reader dys = new RowTiles.Reader(dyp, f, from, to);
            RowTiles.Writer dhs = new RowTiles.Writer(dhp, f, from, to);
            RowTiles.Writer dxs = new RowTiles.Writer(dxp, f, from, to);
            RowTiles.Writer dzs = new RowTiles.Writer(dzp, f, from, to);
            // dy, turned in place into the gradient of the skipped sum, then into dh
            float[] g = new float[f];
            float[] rstd = new float[groups];
            ColumnSums.Range dWRows = dWSums.range(from);
            ColumnSums.Range dSkipRows = dSkipSums.range(from);
            for (int r = from; r < to; r++) {
                row.next();
                dys.next(g);
                for (int group = 0; group < groups; group++) {
                    rstd[group] = HostGroupNorm.normalize(row.h, group * s, (group + 1) * s, eps);
                }
                for (int i = 0; i < f; i++) {
                    float zi = row.z[i];
                    float sigmoid = row.s[i];
                    float skipped = row.h[i] * scale[i] + row.x[i] * skipScale[i];
                    float dSkipped = g[i] * (zi * sigmoid);
                    // SiLU'(z) = s (1 + z (1 - s)) with 1 - s = e s, which keeps its precision where s is near 1
                    row.z[i] = g[i] * skipped * (sigmoid * (1f + zi * (row.e[i] * sigmoid)));
                    dSkipRows.rows[i] += dSkipped * row.x[i];
                    row.x[i] = dSkipped * skipScale[i];
                    g[i] = dSkipped;
                }
                for (int group = 0; group < groups; group++) {
                    HostGroupNorm.backwardGroup(row.h, rstd[group], scale, g, dWRows.rows, group * s, (group + 1) * s);
                }
                dhs.put(g);
                dxs.put(row.x);
                dzs.put(row.z);
                dWRows.endRow();
                dSkipRows.endRow();
            }
        });
        dWSums.assignTo(dW);
        dSkipSums.assignTo(dSkip);
        return new NormSkipGate.Gradients(dh, dx, dz);
    }

    /** One task's rows of h, x, z, read in order into heap scratch, with s = sigmoid(z), e = exp(-z). */
    private static final class RowScratch {
        final float[] h;
        final float[] x;
        final float[] z;
        final float[] s;
        final float[] e;
        private final RowTiles.Reader hs;
        private final RowTiles.Reader xs;
        private final RowTiles.Reader zs;

        RowScratch(FloatPointer hp, FloatPointer xp, FloatPointer zp, int features, int from, int to) {
            h = new float[features];
            x = new float[features];
            z = new float[features];
            s = new float[features];
            e = new float[features];
            hs = new RowTiles.Reader(hp, features, from, to);
            xs = new RowTiles.Reader(xp, features, from, to);
            zs = new RowTiles.Reader(zp, features, from, to);
        }

        void next() {
            hs.next(h);
            xs.next(x);
            zs.next(z);
            HostPointwise.sigmoid(z, z.length, s, e);
        }
    }

    /** A parameter vector read once (often a view of DL4J's flat parameter vector). */
    private static float[] read(INDArray vector, String what) {
        float[] values = new float[(int) vector.length()];
        HostArrays.read(HostArrays.pointer(vector, OP + " " + what), 0, values, 0, values.length);
        return values;
    }
}
