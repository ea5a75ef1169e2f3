package org.xlstm.dl4j.backend.cpu;

import org.xlstm.dl4j.ops.OpSupport;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;

import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@link CausalDepthwiseConv} as fused Java loops for dense c-order float32 arrays on ND4J's CPU backend.
 * ND4J runs the op as one broadcast pass per tap over a concatenated copy of history and x, each pass a trip
 * through memory; here a block of (batch, time) rows is copied once into a buffer together with the K-1 rows
 * before it, all taps run on it while it is in cache, and the result is written back once. Blocks never
 * cross a sequence boundary, so the rows before a block are the sequence's own (or its history).
 */
public final class HostCausalConv {
    private static final String OP = "CausalDepthwiseConv";
    /** Floats in a block of rows: with its K-1 extra rows and the output block it stays in L2 cache. */
    private static final int BLOCK_FLOATS = 1 << 15;
    /** Multiply-adds below which a row range is not worth handing to another thread. */
    private static final int MIN_RANGE_WORK = 1 << 16;

    private HostCausalConv() {
    }

    /** y [B, T, C] for x [B, T, C], w [K, C], b [1, C] or null, history [B, K-1, C] or null. */
    static INDArray forward(INDArray x, INDArray w, INDArray b, INDArray history) {
        Layout l = new Layout(x, w, history);
        // w and b may be views of DL4J's flat parameter vector: read once, not per row
        float[][] taps = l.taps(w);
        float[] bias = new float[l.channels];
        if (b != null) {
            HostArrays.read(HostArrays.pointer(b, OP + " b"), 0, bias, 0, l.channels);
        }
        INDArray y = Nd4j.createUninitialized(DataType.FLOAT, x.shape());
        FloatPointer out = HostArrays.pointer(y, OP + " y");
        int c = l.channels;
        HostArrays.forRows(l.rows(), l.minRangeRows(), (from, to) -> {
            Rows window = new Rows(l.blockRows + l.k - 1, c);
            Rows block = new Rows(l.blockRows, c);
            l.forBlocks(from, to, (row, time, n) -> {
                l.readInputWindow(row, time, n, window);
                for (int i = 0; i < n; i++) {
                    outputStep(taps, bias, window.rows, i, block.rows[i]);
                }
                block.write(0, n, out, (long) row * c);
            });
        });
        return y;
    }

    /**
     * One output step of the conv, {@code y = bias + sum_j taps[j] * inputs[first + j]} per channel, where
     * {@code inputs[first .. first + K)} are the K input steps ending at this one: the one place of this sum
     * for the sequence forward and the step form.
     */
    public static void outputStep(float[][] taps, float[] bias, float[][] inputs, int first, float[] y) {
        int channels = y.length;
        System.arraycopy(bias, 0, y, 0, channels);
        for (int j = 0; j < taps.length; j++) {
            float[] tap = taps[j];
            float[] x = inputs[first + j];
            for (int ch = 0; ch < channels; ch++) {
                y[ch] += tap[ch] * x[ch];
            }
        }
    }

    /**
     * Writes dW [K, C] (and dB unless null) and returns dx [B, T, C]. dW and dB are assigned whole: they may be
     * views of DL4J's flat gradient vector, whose row views ND4J M2.1 gets wrong.
     */
    static INDArray backward(INDArray x, INDArray w, INDArray history, INDArray dy, INDArray dW, INDArray dB) {
        Layout l = new Layout(x, w, history);
        float[][] taps = l.taps(w);
        FloatPointer gradOut = HostArrays.pointer(dy, OP + " dy");
        INDArray dx = Nd4j.createUninitialized(DataType.FLOAT, x.shape());
        FloatPointer gradIn = HostArrays.pointer(dx, OP + " dx");
        int c = l.channels;
        int k = l.k;
        // per-range sums of dW (rows 0..K-1) and dB (row K), added up in row order so the result is the same
        // whichever thread finishes first
        Map<Integer, Rows> partials = new ConcurrentSkipListMap<>();
        HostArrays.forRows(l.rows(), l.minRangeRows(), (from, to) -> {
            Rows window = new Rows(l.blockRows + k - 1, c);
            Rows grads = new Rows(l.blockRows + k - 1, c);
            Rows block = new Rows(l.blockRows, c);
            Rows sums = new Rows(k + 1, c);
            l.forBlocks(from, to, (row, time, n) -> {
                l.readInputWindow(row, time, n, window);
                // dy rows row .. row+n+K-2, zero past the sequence end: dx[t] gathers dy[t .. t+K-1]
                int present = Math.min(n + k - 1, l.steps - time);
                grads.read(gradOut, (long) row * c, 0, present);
                grads.zero(present, n + k - 1);
                for (int i = 0; i < n; i++) {
                    float[] dxRow = block.rows[i];
                    float[] dyRow = grads.rows[i];
                    Arrays.fill(dxRow, 0f);
                    for (int j = 0; j < k; j++) {
                        float[] tap = taps[j];
                        float[] later = grads.rows[i + k - 1 - j];
                        float[] xRow = window.rows[i + j];
                        float[] dTap = sums.rows[j];
                        for (int ch = 0; ch < c; ch++) {
                            dxRow[ch] += tap[ch] * later[ch];
                            dTap[ch] += dyRow[ch] * xRow[ch];
                        }
                    }
                    float[] dBias = sums.rows[k];
                    for (int ch = 0; ch < c; ch++) {
                        dBias[ch] += dyRow[ch];
                    }
                }
                block.write(0, n, gradIn, (long) row * c);
            });
            partials.put(from, sums);
        });
        Rows total = new Rows(k + 1, c);
        for (Rows sums : partials.values()) {
            for (int r = 0; r <= k; r++) {
                for (int ch = 0; ch < c; ch++) {
                    total.rows[r][ch] += sums.rows[r][ch];
                }
            }
        }
        OpSupport.assignGradient(dW, total.toArray(0, k));
        if (dB != null) {
            OpSupport.assignGradient(dB, total.toArray(k, 1));
        }
        return dx;
    }

    /**
     * Rows of C floats, each its own Java array: the inner loops then index every array alike from 0, which
     * C2 vectorizes; rows at different offsets of one flat array could overlap as far as it knows, and the
     * loops stay scalar (measured about 4x slower). Memory moves through a flat staging array, one native
     * copy per block rather than per row.
     */
    private static final class Rows {
        final float[][] rows;
        final float[] staging;
        final int channels;

        Rows(int count, int channels) {
            rows = new float[count][channels];
            staging = new float[count * channels];
            this.channels = channels;
        }

        /** Reads {@code count} rows from {@code offset} in {@code from} into rows first .. first+count-1. */
        void read(FloatPointer from, long offset, int first, int count) {
            int c = channels;
            HostArrays.read(from, offset, staging, 0, count * c);
            for (int r = 0; r < count; r++) {
                System.arraycopy(staging, r * c, rows[first + r], 0, c);
            }
        }

        /** Zeros rows [from, to). */
        void zero(int from, int to) {
            for (int r = from; r < to; r++) {
                Arrays.fill(rows[r], 0f);
            }
        }

        /** Writes rows first .. first+count-1 to {@code offset} in {@code to}. */
        void write(int first, int count, FloatPointer to, long offset) {
            int c = channels;
            for (int r = 0; r < count; r++) {
                System.arraycopy(rows[first + r], 0, staging, r * c, c);
            }
            HostArrays.write(staging, 0, count * c, to, offset);
        }

        /** A new [count, C] float32 array holding rows first .. first+count-1. */
        INDArray toArray(int first, int count) {
            INDArray a = Nd4j.createUninitialized(DataType.FLOAT, count, channels);
            write(first, count, HostArrays.pointer(a, OP + " gradient"), 0);
            return a;
        }
    }

    /** A block of n rows starting at flat row {@code row}, which is step {@code time} of its sequence. */
    @FunctionalInterface
    private interface Block {
        void run(int row, int time, int n);
    }

    /** Sizes and input pointers of one call. */
    private static final class Layout {
        final int batch;
        final int steps;
        final int channels;
        final int k;
        final int blockRows;
        final FloatPointer input;
        final FloatPointer history;

        Layout(INDArray x, INDArray w, INDArray history) {
            batch = (int) x.size(0);
            steps = (int) x.size(1);
            channels = (int) x.size(2);
            k = (int) w.size(0);
            blockRows = Math.max(1, BLOCK_FLOATS / channels);
            input = HostArrays.pointer(x, OP + " x");
            this.history = k > 1 && history != null ? HostArrays.pointer(history, OP + " history") : null;
        }

        int rows() {
            return batch * steps;
        }

        int minRangeRows() {
            return Math.max(1, MIN_RANGE_WORK / (k * channels));
        }

        float[][] taps(INDArray w) {
            Rows taps = new Rows(k, channels);
            taps.read(HostArrays.pointer(w, OP + " w"), 0, 0, k);
            return taps.rows;
        }

        /** Splits rows [from, to) into blocks of at most blockRows rows within one sequence. */
        void forBlocks(int from, int to, Block body) {
            int row = from;
            while (row < to) {
                int time = row % steps;
                int n = Math.min(blockRows, Math.min(to - row, steps - time));
                body.run(row, time, n);
                row += n;
            }
        }

        /**
         * Fills the first n + K-1 rows of {@code window} with the rows of concat(history or zeros, x) that the
         * outputs of the block read: steps time-K+1 .. time+n-1 of the row's sequence.
         */
        void readInputWindow(int row, int time, int n, Rows window) {
            int before = Math.max(0, k - 1 - time);
            if (before > 0) {
                if (history == null) {
                    window.zero(0, before);
                } else {
                    long first = (long) (row / steps) * (k - 1) + time;
                    window.read(history, first * channels, 0, before);
                }
            }
            long firstInput = (long) row - (k - 1 - before);
            window.read(input, firstInput * channels, before, n + k - 1 - before);
        }
    }
}
