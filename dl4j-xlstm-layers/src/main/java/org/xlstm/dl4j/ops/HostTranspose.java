package org.xlstm.dl4j.ops;

import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Swaps the last two dimensions of a dense c-order float32 array on the CPU backend, [B, R, C] to [B, C, R]:
 * between DL4J's NCW sequences and the modules' [B, T, F]. Bands of whole source rows are copied to the heap
 * in one native call, transposed there in cache-sized blocks, and written back per output row segment (one
 * call when the band holds all rows). ND4J's permuted copy takes about twice as long on this machine.
 */
public final class HostTranspose {
    /** Floats per heap band: 4 MB, so a [512, 2048] matrix is one band. */
    private static final int BAND_FLOATS = 1 << 20;
    /** Side of the square blocks transposed in cache. */
    private static final int BLOCK = 32;

    private HostTranspose() {
    }

    /** Whether the host copy takes these arrays. */
    private static boolean applies(INDArray from, INDArray to) {
        return from.rank() == 3 && to.rank() == 3 && HostArrays.usable(from, to) && from.size(0) == to.size(0)
                && from.size(1) == to.size(2) && from.size(2) == to.size(1);
    }

    /** Writes {@code from} [B, R, C] transposed into {@code to} [B, C, R]; see {@link #applies}. */
    private static void into(INDArray from, INDArray to) {
        int batch = Math.toIntExact(from.size(0));
        int rows = Math.toIntExact(from.size(1));
        int cols = Math.toIntExact(from.size(2));
        if (from.length() == 0) {
            return;
        }
        int bandRows = Math.max(1, Math.min(rows, BAND_FLOATS / cols));
        int bandsPerMatrix = (rows + bandRows - 1) / bandRows;
        FloatPointer source = HostArrays.pointer(from, "transpose source");
        FloatPointer target = HostArrays.pointer(to, "transpose target");
        long matrix = (long) rows * cols;
        HostArrays.forRows(batch * bandsPerMatrix, 1, (first, last) -> {
            float[] in = new float[bandRows * cols];
            float[] out = new float[bandRows * cols];
            for (int band = first; band < last; band++) {
                int b = band / bandsPerMatrix;
                int r0 = (band % bandsPerMatrix) * bandRows;
                int count = Math.min(bandRows, rows - r0);
                HostArrays.read(source, b * matrix + (long) r0 * cols, in, 0, count * cols);
                transpose(in, count, cols, out);
                if (count == rows) {
                    HostArrays.write(out, 0, count * cols, target, b * matrix);
                } else {
                    for (int c = 0; c < cols; c++) {
                        HostArrays.write(out, c * count, count, target, b * matrix + (long) c * rows + r0);
                    }
                }
            }
        });
    }

    /** {@code out[c * rows + r] = in[r * cols + c]}, block by block so both sides stay in cache. */
    private static void transpose(float[] in, int rows, int cols, float[] out) {
        for (int r0 = 0; r0 < rows; r0 += BLOCK) {
            int r1 = Math.min(rows, r0 + BLOCK);
            for (int c0 = 0; c0 < cols; c0 += BLOCK) {
                int c1 = Math.min(cols, c0 + BLOCK);
                for (int r = r0; r < r1; r++) {
                    int at = r * cols;
                    for (int c = c0; c < c1; c++) {
                        out[c * rows + r] = in[at + c];
                    }
                }
            }
        }
    }

    /** A new c-order [B, C, R] holding {@code from} [B, R, C] transposed (ND4J's copy where the host one does not apply). */
    public static INDArray swapLastTwo(INDArray from) {
        INDArray to = Nd4j.createUninitialized(from.dataType(), from.size(0), from.size(2), from.size(1));
        swapLastTwoInto(from, to);
        return to;
    }

    /** Writes {@code from} [B, R, C] transposed into {@code to} [B, C, R], whatever their layouts. */
    public static void swapLastTwoInto(INDArray from, INDArray to) {
        if (applies(from, to)) {
            into(from, to);
        } else {
            to.assign(from.permute(0, 2, 1));
        }
    }
}
