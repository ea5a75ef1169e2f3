package org.xlstm.dl4j.backend.cpu;

import java.util.concurrent.ConcurrentSkipListMap;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The sum over rows of a per-row float quantity computed in a {@link HostArrays#forRows} loop: the weight
 * gradients of the fused host backwards. Each row range adds its rows into a float buffer (a loop C2
 * vectorises, unlike one converting to double), folded into double partial sums every
 * {@link #FLOAT_ROWS} rows; the ranges' partial sums combine in row order, so every run gives the same
 * result. At least as precise as ND4J's float reductions.
 */
final class ColumnSums {
    private static final int FLOAT_ROWS = 32;

    private final int lanes;
    private final int width;
    /** keyed by the first row of each range, so the partial sums combine in the same order on every run */
    private final ConcurrentSkipListMap<Integer, Range> ranges = new ConcurrentSkipListMap<>();

    ColumnSums(int width) {
        this(1, width);
    }

    /**
     * {@code lanes} independent sums of {@code width} columns each, kept in separate arrays: C2 does not
     * vectorise a loop over one flat array at a lane offset only known at run time.
     */
    ColumnSums(int lanes, int width) {
        this.lanes = lanes;
        this.width = width;
    }

    /** One row range's accumulator; add each row into {@link #rows} (or a lane), then call {@link #endRow()}. */
    final class Range {
        /** lane k's rows added since the last fold */
        final float[][] lane = new float[lanes][width];
        /** lane 0, the only lane of a single sum */
        final float[] rows = lane[0];
        private final double[][] sums = new double[lanes][width];
        private int pendingRows;

        void endRow() {
            if (++pendingRows == FLOAT_ROWS) {
                fold();
            }
        }

        private void fold() {
            for (int k = 0; k < lanes; k++) {
                float[] from = lane[k];
                double[] to = sums[k];
                for (int i = 0; i < width; i++) {
                    to[i] += from[i];
                    from[i] = 0f;
                }
            }
            pendingRows = 0;
        }
    }

    /** The accumulator of the range starting at row {@code firstRow}; call once per range. */
    Range range(int firstRow) {
        Range range = new Range();
        ranges.put(firstRow, range);
        return range;
    }

    /** The sums over all rows, [lanes][width]; call after the row loop. */
    double[][] total() {
        double[][] total = new double[lanes][width];
        for (Range range : ranges.values()) {
            range.fold();
            for (int k = 0; k < lanes; k++) {
                for (int i = 0; i < width; i++) {
                    total[k][i] += range.sums[k][i];
                }
            }
        }
        return total;
    }

    /**
     * Writes the total of a single sum into {@code target} (assign semantics, as
     * {@link OpSupport#assignGradient}); call after the row loop. The target is usually a view of DL4J's flat
     * gradient vector; anything not dense float32 goes through ND4J.
     */
    void assignTo(INDArray target) {
        double[] total = total()[0];
        float[] value = new float[width];
        for (int i = 0; i < width; i++) {
            value[i] = (float) total[i];
        }
        HostArrays.writeGradient(value, target, "gradient");
    }
}
