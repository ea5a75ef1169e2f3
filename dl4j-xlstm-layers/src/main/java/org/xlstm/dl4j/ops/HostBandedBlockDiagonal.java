package org.xlstm.dl4j.ops;

import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The block-diagonal map of {@link BlockDiagonalLinear} for small square blocks (the mLSTM's q/k/v) on dense
 * c-order float32 arrays of the CPU backend, as fused Java loops over rows read into heap scratch.
 *
 * <p>With s x s blocks the matrix is a band of 2s-1 diagonals: {@code y[c] = sum over d in [-(s-1), s-1] of
 * band_d[c] x[c + d]}, where {@code band_d[c] = w[c/s][c%s][c%s + d]} inside the block and 0 across its edge.
 * Each diagonal is one loop over c that C2 vectorises, so a row costs 2s-1 vector passes; the dense
 * grouped GEMMs of {@link HostBlockDiagonal} multiply 64 columns per output (mostly zeros), and their
 * backward takes dW from a [64, 64] product per group of which it keeps the diagonal blocks.
 *
 * <p>Blocks are independent, so tasks split the blocks, not the rows: every task owns whole columns of y,
 * dx and whole blocks of dW, and no partial sums need combining across tasks.
 */
final class HostBandedBlockDiagonal {
    private static final String OP = "BlockDiagonalLinear";
    /**
     * The widest block taken here: a row costs 2s-1 passes over its columns. Measured against the grouped
     * GEMMs at N=8192, D=1024 on a busy 2-core machine: at s=16 and s=32 the forward is about even and the
     * backward faster, at s=128 (sLSTM heads, D=512) the forward is about 7 times slower.
     */
    static final long MAX_BLOCK = 16;
    /** Multiply-adds per parallel task: below this, forking costs more than it saves. */
    private static final long MIN_WORK_PER_TASK = 1 << 16;
    /**
     * dW is summed over this many rows in float (a loop C2 vectorises, unlike one converting to double),
     * then added to double partial sums, as in {@link HostGroupNorm}.
     */
    private static final int DW_FLOAT_ROWS = 32;

    private HostBandedBlockDiagonal() {
    }

    /** Whether w [nb, s, s] has small square blocks and all arrays are dense float32 on the CPU backend. */
    static boolean applies(INDArray w, INDArray... arrays) {
        return w.size(1) == w.size(2) && w.size(1) <= MAX_BLOCK && HostArrays.usable(arrays);
    }

    /** y [N, nb*s] for x [N, nb*s] and w [nb, s, s]. */
    static INDArray forward(INDArray x, INDArray w) {
        Blocks b = new Blocks(x, w);
        float[] weights = weights(w);
        INDArray y = Nd4j.createUninitialized(DataType.FLOAT, b.rows, b.width);
        FloatPointer xp = HostArrays.pointer(x, OP + " x");
        FloatPointer yp = HostArrays.pointer(y, OP + " y");
        b.forColumnRanges((lo, hi) -> {
            float[][] bands = b.bands(weights, false, lo, hi);
            Diagonals in = new Diagonals(b.s, hi - lo);
            float[] out = new float[hi - lo];
            for (int r = 0; r < b.rows; r++) {
                long offset = (long) r * b.width + lo;
                in.read(xp, offset);
                multiply(bands, in, out);
                HostArrays.write(out, 0, out.length, yp, offset);
            }
        });
        return y;
    }

    /**
     * Writes dW [nb, s, s] (assign semantics, as {@link OpSupport#assignGradient}) and returns dx [N, nb*s].
     * dx is the forward map of dy with every block transposed; {@code dW[i][o][j] = sum over rows of
     * dy[c] x[c + d]} for c = i*s + o and d = j - o, the products of x's diagonal d with dy.
     */
    static INDArray backward(INDArray x, INDArray w, INDArray dy, INDArray dW) {
        Blocks b = new Blocks(x, w);
        float[] weights = weights(w);
        INDArray dx = Nd4j.createUninitialized(DataType.FLOAT, b.rows, b.width);
        FloatPointer xp = HostArrays.pointer(x, OP + " x");
        FloatPointer dyp = HostArrays.pointer(dy, OP + " dy");
        FloatPointer dxp = HostArrays.pointer(dx, OP + " dx");
        float[] dWValues = new float[Math.toIntExact(w.length())];
        b.forColumnRanges((lo, hi) -> {
            int width = hi - lo;
            float[][] transposedBands = b.bands(weights, true, lo, hi);
            Diagonals xs = new Diagonals(b.s, width);
            Diagonals gs = new Diagonals(b.s, width);
            float[] out = new float[width];
            float[][] dWRows = new float[b.bands][width];
            double[][] dWSums = new double[b.bands][width];
            for (int r = 0; r < b.rows; r++) {
                long offset = (long) r * b.width + lo;
                xs.read(xp, offset);
                gs.read(dyp, offset);
                multiply(transposedBands, gs, out);
                HostArrays.write(out, 0, width, dxp, offset);
                accumulateDiagonalProducts(gs.row(), xs, dWRows);
                if (r % DW_FLOAT_ROWS == DW_FLOAT_ROWS - 1 || r == b.rows - 1) {
                    addInto(dWRows, dWSums);
                }
            }
            b.gatherBlocks(dWSums, lo, dWValues);
        });
        HostArrays.writeGradient(dWValues, dW, OP + " dW");
        return dx;
    }

    /** {@code out[i] = sum over k of bands[k][i] in.shifted[k][i]}. */
    private static void multiply(float[][] bands, Diagonals in, float[] out) {
        float[] first = bands[0];
        float[] firstIn = in.shifted[0];
        for (int i = 0; i < out.length; i++) {
            out[i] = first[i] * firstIn[i];
        }
        for (int k = 1; k < bands.length; k++) {
            float[] band = bands[k];
            float[] shifted = in.shifted[k];
            for (int i = 0; i < out.length; i++) {
                out[i] += band[i] * shifted[i];
            }
        }
    }

    /** {@code sums[k][i] += g[i] x.shifted[k][i]}; across a block edge the sums go unused. */
    private static void accumulateDiagonalProducts(float[] g, Diagonals x, float[][] sums) {
        for (int k = 0; k < sums.length; k++) {
            float[] sum = sums[k];
            float[] shifted = x.shifted[k];
            for (int i = 0; i < g.length; i++) {
                sum[i] += g[i] * shifted[i];
            }
        }
    }

    /** w's values in c order, read once (w is often a view of DL4J's flat parameter vector). */
    private static float[] weights(INDArray w) {
        INDArray dense = HostArrays.usable(w) ? w : w.dup('c');
        float[] values = new float[Math.toIntExact(w.length())];
        HostArrays.read(HostArrays.pointer(dense, OP + " w"), 0, values, 0, values.length);
        return values;
    }

    /** {@code sums += rows}, then clears {@code rows}. */
    private static void addInto(float[][] rows, double[][] sums) {
        for (int k = 0; k < rows.length; k++) {
            float[] from = rows[k];
            double[] to = sums[k];
            for (int i = 0; i < from.length; i++) {
                to[i] += from[i];
                from[i] = 0f;
            }
        }
    }

    @FunctionalInterface
    private interface ColumnRange {
        void run(int lo, int hi);
    }

    /** The geometry: rows x width, in blocks of s columns, and the band index k = d + s - 1 of diagonal d. */
    private static final class Blocks {
        final int rows;
        final int width;
        final int s;
        final int blocks;
        final int bands;

        Blocks(INDArray x, INDArray w) {
            rows = Math.toIntExact(x.size(0));
            width = Math.toIntExact(x.size(1));
            s = (int) w.size(1);
            blocks = (int) w.size(0);
            bands = 2 * s - 1;
        }

        /**
         * Diagonal k of the map on the columns [lo, hi): {@code band[k][c - lo] = w[c/s][c%s][c%s + d]} with
         * d = k - (s-1), or of the map with every block transposed, {@code w[c/s][c%s + d][c%s]}; 0 where
         * c%s + d leaves the block.
         */
        float[][] bands(float[] w, boolean transposed, int lo, int hi) {
            float[][] band = new float[bands][hi - lo];
            for (int c = lo; c < hi; c++) {
                int block = c / s;
                int o = c % s;
                for (int j = 0; j < s; j++) {
                    int at = transposed ? (block * s + j) * s + o : (block * s + o) * s + j;
                    band[j - o + s - 1][c - lo] = w[at];
                }
            }
            return band;
        }

        /** Runs {@code body} over ranges of whole blocks' columns, in parallel tasks. */
        void forColumnRanges(ColumnRange body) {
            long workPerBlock = Math.max(1L, (long) rows * s * bands);
            int minBlocks = (int) Math.max(1, Math.min(blocks, MIN_WORK_PER_TASK / workPerBlock));
            HostArrays.forRows(blocks, minBlocks, (from, to) -> body.run(from * s, to * s));
        }

        /** {@code dW[block][o][j] = sums[j - o + s - 1][c - lo]} for the columns c = block*s + o of [lo, ...). */
        void gatherBlocks(double[][] sums, int lo, float[] dW) {
            int n = sums[0].length;
            for (int i = 0; i < n; i++) {
                int c = lo + i;
                int o = c % s;
                for (int j = 0; j < s; j++) {
                    dW[c * s + j] = (float) sums[j - o + s - 1][i];
                }
            }
        }
    }

    /**
     * One task's copy of a row's columns [lo, lo + width) and its diagonals: {@code shifted[k][i] = row[i + d]}
     * for d = k - (s-1), 0 beyond the columns (whole blocks, so there the band weights are 0 as well).
     * Separate shifted arrays, not one padded row read at offset k: C2 does not vectorise a loop that
     * stores to one float[] and loads another at an index shifted by a loop-invariant amount (it cannot
     * rule out that they are the same array), and System.arraycopy is a vectorised copy.
     */
    private static final class Diagonals {
        final float[] padded;
        final float[][] shifted;
        private final int width;

        Diagonals(int s, int width) {
            this.width = width;
            padded = new float[width + 2 * (s - 1)];
            shifted = new float[2 * s - 1][width];
        }

        void read(FloatPointer from, long offset) {
            int pad = (shifted.length - 1) / 2;
            HostArrays.read(from, offset, padded, pad, width);
            for (int k = 0; k < shifted.length; k++) {
                System.arraycopy(padded, k, shifted[k], 0, width);
            }
        }

        /** The row itself (the diagonal d = 0). */
        float[] row() {
            return shifted[(shifted.length - 1) / 2];
        }
    }
}
