package org.xlstm.dl4j.backend.cpu;

import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The block-diagonal map of {@link BlockDiagonalLinear} for small square blocks (the mLSTM's q/k/v) on dense
 * c-order float32 arrays of the CPU backend, as Java loops over tiles of rows.
 *
 * <p>Rows reach the heap through {@link RowTiles}. Tasks split the rows; each sums its own share of dW, and
 * the shares combine in row order.
 *
 * <p>The 4 x 4 blocks of the official configuration are multiplied unrolled, 16 multiply-adds per block in
 * registers, twice as fast as the bands below (measured on this 2-core machine). Other sizes, and dW always,
 * use the 2s-1 diagonal bands of the matrix: {@code y[c] = sum over d in [-(s-1), s-1] of band_d[c] x[c + d]},
 * where {@code band_d[c] = w[c/s][c%s][c%s + d]} inside the block and 0 across its edge, one loop over c per
 * diagonal that C2 vectorises; {@code dW[i][o][j] = sum over rows of dy[c] x[c + d]} for c = i*s + o and
 * d = j - o.
 */
public final class HostSmallBlockDiagonal {
    private static final String OP = "BlockDiagonalLinear";
    /**
     * The widest block taken here: a banded row costs 2s-1 passes over its columns. Measured against the
     * grouped GEMMs of {@link HostBlockDiagonal} at N=8192, D=1024 on a busy 2-core machine: at s=16 and s=32
     * the forward is about even and the backward faster, at s=128 (sLSTM heads, D=512) the forward is about
     * 7 times slower.
     */
    static final long MAX_BLOCK = 16;
    /** The block size multiplied unrolled. */
    private static final int UNROLLED = 4;
    /** Multiply-adds per parallel task: below this, forking costs more than it saves. */
    private static final long MIN_WORK_PER_TASK = 1 << 16;

    private HostSmallBlockDiagonal() {
    }

    /** Whether w [nb, s, s] has small square blocks and all arrays are dense float32 on the CPU backend. */
    public static boolean applies(INDArray w, INDArray... arrays) {
        return w.size(1) == w.size(2) && w.size(1) <= MAX_BLOCK && HostArrays.usable(arrays);
    }

    /** y [N, nb*s] for x [N, nb*s] and w [nb, s, s]. */
    static INDArray forward(INDArray x, INDArray w) {
        Blocks b = new Blocks(x, w);
        float[] weights = weights(w);
        INDArray y = Nd4j.createUninitialized(DataType.FLOAT, b.rows, b.width);
        FloatPointer xp = HostArrays.pointer(x, OP + " x");
        FloatPointer yp = HostArrays.pointer(y, OP + " y");
        b.forRowRanges((from, to) -> {
            RowProduct product = b.product(weights, false);
            RowTiles.Reader xs = new RowTiles.Reader(xp, b.width, from, to);
            RowTiles.Writer ys = new RowTiles.Writer(yp, b.width, from, to);
            float[] in = new float[b.width];
            float[] out = new float[b.width];
            for (int r = from; r < to; r++) {
                xs.next(in);
                product.apply(in, out);
                ys.put(out);
            }
        });
        return y;
    }

    /**
     * Writes dW [nb, s, s] (assign semantics, as {@link OpSupport#assignGradient}) and returns dx [N, nb*s],
     * the forward map of dy with every block transposed.
     */
    static INDArray backward(INDArray x, INDArray w, INDArray dy, INDArray dW) {
        Blocks b = new Blocks(x, w);
        float[] weights = weights(w);
        INDArray dx = Nd4j.createUninitialized(DataType.FLOAT, b.rows, b.width);
        FloatPointer xp = HostArrays.pointer(x, OP + " x");
        FloatPointer dyp = HostArrays.pointer(dy, OP + " dy");
        FloatPointer dxp = HostArrays.pointer(dx, OP + " dx");
        ColumnSums dWSums = new ColumnSums(b.bands, b.width);
        b.forRowRanges((from, to) -> {
            RowProduct transposed = b.product(weights, true);
            RowTiles.Reader xs = new RowTiles.Reader(xp, b.width, from, to);
            RowTiles.Reader dys = new RowTiles.Reader(dyp, b.width, from, to);
            RowTiles.Writer dxs = new RowTiles.Writer(dxp, b.width, from, to);
            float[] xRow = new float[b.width];
            float[] g = new float[b.width];
            float[] dxRow = new float[b.width];
            Diagonals shifted = new Diagonals(b.s, b.width);
            ColumnSums.Range dWRows = dWSums.range(from);
            for (int r = from; r < to; r++) {
                xs.next(xRow);
                dys.next(g);
                transposed.apply(g, dxRow);
                dxs.put(dxRow);
                shifted.read(xRow);
                accumulateDiagonalProducts(g, shifted, dWRows.lane);
                dWRows.endRow();
            }
        });
        HostArrays.writeGradient(b.gatherBlocks(dWSums.total()), dW, OP + " dW");
        return dx;
    }

    /** One row of the block map. */
    @FunctionalInterface
    private interface RowProduct {
        void apply(float[] in, float[] out);
    }

    /** 4 x 4 blocks, {@code w[(block * 4 + o) * 4 + j]} the weight of input j in output o. */
    private static RowProduct unrolled(float[] w, int width) {
        return (in, out) -> {
            for (int i = 0, wi = 0; i < width; i += UNROLLED, wi += UNROLLED * UNROLLED) {
                float x0 = in[i];
                float x1 = in[i + 1];
                float x2 = in[i + 2];
                float x3 = in[i + 3];
                out[i] = w[wi] * x0 + w[wi + 1] * x1 + w[wi + 2] * x2 + w[wi + 3] * x3;
                out[i + 1] = w[wi + 4] * x0 + w[wi + 5] * x1 + w[wi + 6] * x2 + w[wi + 7] * x3;
                out[i + 2] = w[wi + 8] * x0 + w[wi + 9] * x1 + w[wi + 10] * x2 + w[wi + 11] * x3;
                out[i + 3] = w[wi + 12] * x0 + w[wi + 13] * x1 + w[wi + 14] * x2 + w[wi + 15] * x3;
            }
        };
    }

    /** {@code out[i] = sum over k of bands[k][i] x.shifted[k][i]}. */
    private static RowProduct banded(float[][] bands, int s, int width) {
        Diagonals x = new Diagonals(s, width);
        return (in, out) -> {
            x.read(in);
            float[] first = bands[0];
            float[] firstIn = x.shifted[0];
            for (int i = 0; i < width; i++) {
                out[i] = first[i] * firstIn[i];
            }
            for (int k = 1; k < bands.length; k++) {
                float[] band = bands[k];
                float[] shifted = x.shifted[k];
                for (int i = 0; i < width; i++) {
                    out[i] += band[i] * shifted[i];
                }
            }
        };
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

        /** A task's product of rows by the map, or by the map with every block transposed. */
        RowProduct product(float[] w, boolean transposed) {
            if (s != UNROLLED) {
                return banded(bands(w, transposed), s, width);
            }
            if (!transposed) {
                return unrolled(w, width);
            }
            float[] wt = new float[w.length];
            for (int block = 0; block < blocks; block++) {
                for (int o = 0; o < s; o++) {
                    for (int j = 0; j < s; j++) {
                        wt[(block * s + j) * s + o] = w[(block * s + o) * s + j];
                    }
                }
            }
            return unrolled(wt, width);
        }

        /**
         * Diagonal k of the map: {@code band[k][c] = w[c/s][c%s][c%s + d]} with d = k - (s-1), or of the map
         * with every block transposed, {@code w[c/s][c%s + d][c%s]}; 0 where c%s + d leaves the block.
         */
        float[][] bands(float[] w, boolean transposed) {
            float[][] band = new float[bands][width];
            for (int c = 0; c < width; c++) {
                int block = c / s;
                int o = c % s;
                for (int j = 0; j < s; j++) {
                    int at = transposed ? (block * s + j) * s + o : (block * s + o) * s + j;
                    band[j - o + s - 1][c] = w[at];
                }
            }
            return band;
        }

        /** Runs {@code body} over ranges of rows, in parallel tasks. */
        void forRowRanges(HostArrays.RowRange body) {
            long workPerRow = Math.max(1L, (long) width * bands);
            int minRows = (int) Math.max(1, Math.min(rows, MIN_WORK_PER_TASK / workPerRow));
            HostArrays.forRows(rows, minRows, body);
        }

        /** dW [nb, s, s] in c order: {@code dW[block][o][j] = sums[j - o + s - 1][c]} for c = block*s + o. */
        float[] gatherBlocks(double[][] sums) {
            float[] dW = new float[blocks * s * s];
            for (int c = 0; c < width; c++) {
                int o = c % s;
                for (int j = 0; j < s; j++) {
                    dW[c * s + j] = (float) sums[j - o + s - 1][c];
                }
            }
            return dW;
        }
    }

    /**
     * A row's diagonals: {@code shifted[k][i] = row[i + d]} for d = k - (s-1), 0 beyond the row (whole blocks,
     * so there the band weights are 0 as well). Separate shifted arrays, not one padded row read at offset k:
     * C2 does not vectorise a loop that stores to one float[] and loads another at an index shifted by a
     * loop-invariant amount, and System.arraycopy is a vectorised copy.
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

        void read(float[] row) {
            int pad = (shifted.length - 1) / 2;
            System.arraycopy(row, 0, padded, pad, width);
            for (int k = 0; k < shifted.length; k++) {
                System.arraycopy(padded, k, shifted[k], 0, width);
            }
        }
    }
}
