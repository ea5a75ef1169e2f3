package org.xlstm.dl4j.backend.cpu;

import org.bytedeco.javacpp.FloatPointer;

/**
 * The rows [from, to) of a dense c-order [N, width] float32 array in host memory, read or written in order a
 * row at a time through a heap tile that one native copy fills or flushes every {@link #TILE_ROWS} rows. A
 * native copy per row costs about 0.2 µs, as much as the arithmetic of a few hundred columns.
 */
final class RowTiles {
    /** Rows per native copy: a few tiles of 1024 columns stay within a core's L2 cache. */
    static final int TILE_ROWS = 16;

    private RowTiles() {
    }

    /** Reads the rows in order. */
    static final class Reader {
        private final FloatPointer array;
        private final int width;
        private final int to;
        private final float[] tile;
        private int next;
        private int tileFirst;
        private int tileRows;

        Reader(FloatPointer array, int width, int from, int to) {
            this.array = array;
            this.width = width;
            this.to = to;
            this.tile = new float[TILE_ROWS * width];
            this.next = from;
            this.tileFirst = from;
        }

        /** Copies the next row into {@code row[0, width)}. */
        void next(float[] row) {
            if (next == tileFirst + tileRows) {
                tileFirst = next;
                tileRows = Math.min(TILE_ROWS, to - next);
                HostArrays.read(array, (long) next * width, tile, 0, tileRows * width);
            }
            System.arraycopy(tile, (next - tileFirst) * width, row, 0, width);
            next++;
        }
    }

    /** Writes the rows in order; the last row of the range flushes the tile. */
    static final class Writer {
        private final FloatPointer array;
        private final int width;
        private final int to;
        private final float[] tile;
        private int tileFirst;
        private int pending;

        Writer(FloatPointer array, int width, int from, int to) {
            this.array = array;
            this.width = width;
            this.to = to;
            this.tile = new float[TILE_ROWS * width];
            this.tileFirst = from;
        }

        /** Writes {@code row[0, width)} as the next row. */
        void put(float[] row) {
            System.arraycopy(row, 0, tile, pending * width, width);
            pending++;
            if (pending == TILE_ROWS || tileFirst + pending == to) {
                HostArrays.write(tile, 0, pending * width, array, (long) tileFirst * width);
                tileFirst += pending;
                pending = 0;
            }
        }
    }
}
