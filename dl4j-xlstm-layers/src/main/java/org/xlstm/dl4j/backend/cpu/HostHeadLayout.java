package org.xlstm.dl4j.backend.cpu;

import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@link org.xlstm.dl4j.ops.HeadLayout} for dense float32 arrays on ND4J's CPU backend: the copy goes through heap tiles of {@link #TILE_STEPS}
 * time steps: the tile's rows are one contiguous range on the token-major side and each head's share of
 * them one contiguous range on the head-major side, so a tile moves in 1 + NH native copies. ND4J's
 * permuted copy takes several times longer on this machine.
 */
final class HostHeadLayout {
    /** Time steps per tile: a few hundred KB at 1024 features. */
    private static final int TILE_STEPS = 32;

    private HostHeadLayout() {
    }

    /** [B*T, NH*DH] to a new c-order [B, NH, T, DH]; only for {@link #applies} arrays. */
    static INDArray toHeads(INDArray rows, long batch, long steps, long heads, long headSize) {
        INDArray out = Nd4j.createUninitialized(DataType.FLOAT, batch, heads, steps, headSize);
        new Tiles(batch, steps, heads, headSize).copy(HostArrays.pointer(rows, "rows"),
                HostArrays.pointer(out, "heads"), true);
        return out;
    }

    /** [B, NH, T, DH] in any layout to a new c-order [B*T, NH*DH]. */
    static INDArray fromHeads(INDArray heads) {
        long batch = heads.size(0);
        long count = heads.size(1);
        long steps = heads.size(2);
        long headSize = heads.size(3);
        INDArray out = Nd4j.createUninitialized(DataType.FLOAT, batch * steps, count * headSize);
        new Tiles(batch, steps, count, headSize).copy(HostArrays.pointer(out, "rows"),
                HostArrays.pointer(heads, "heads"), false);
        return out;
    }

    static boolean applies(INDArray a) {
        return a.length() > 0 && HostArrays.usable(a);
    }

    /** The tiles of both layouts: tile i covers batch row i / tilesPerRow and its (i % tilesPerRow)-th steps. */
    private static final class Tiles {
        final int batch;
        final int steps;
        final int heads;
        final int headSize;
        final int width;
        final int tilesPerRow;

        Tiles(long batch, long steps, long heads, long headSize) {
            this.batch = Math.toIntExact(batch);
            this.steps = Math.toIntExact(steps);
            this.heads = Math.toIntExact(heads);
            this.headSize = Math.toIntExact(headSize);
            this.width = Math.toIntExact(heads * headSize);
            this.tilesPerRow = (this.steps + TILE_STEPS - 1) / TILE_STEPS;
        }

        /** Copies token-major {@code rows} to head-major {@code headMajor}, or back. */
        void copy(FloatPointer rows, FloatPointer headMajor, boolean toHeads) {
            HostArrays.forRows(batch * tilesPerRow, 1, (from, to) -> {
                float[] tile = new float[TILE_STEPS * width];
                float[] part = new float[TILE_STEPS * headSize];
                for (int i = from; i < to; i++) {
                    int b = i / tilesPerRow;
                    int first = (i % tilesPerRow) * TILE_STEPS;
                    int count = Math.min(TILE_STEPS, steps - first);
                    long rowsAt = ((long) b * steps + first) * width;
                    if (toHeads) {
                        HostArrays.read(rows, rowsAt, tile, 0, count * width);
                    }
                    for (int h = 0; h < heads; h++) {
                        long headAt = (((long) b * heads + h) * steps + first) * headSize;
                        if (toHeads) {
                            for (int r = 0; r < count; r++) {
                                System.arraycopy(tile, r * width + h * headSize, part, r * headSize, headSize);
                            }
                            HostArrays.write(part, 0, count * headSize, headMajor, headAt);
                        } else {
                            HostArrays.read(headMajor, headAt, part, 0, count * headSize);
                            for (int r = 0; r < count; r++) {
                                System.arraycopy(part, r * headSize, tile, r * width + h * headSize, headSize);
                            }
                        }
                    }
                    if (!toHeads) {
                        HostArrays.write(tile, 0, count * width, rows, rowsAt);
                    }
                }
            });
        }
    }
}
