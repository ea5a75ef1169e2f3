package org.xlstm.dl4j.kernel.portable;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.openblas.global.openblas_nolapack;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.xlstm.dl4j.ops.HostArrays;
import org.xlstm.dl4j.ops.HostGemmBatch;

/** What the host (CPU, float32) chunkwise forward and backward share. */
final class HostKernelSupport {
    /**
     * Recurrences advanced together when their products are batched: enough products per batch to keep
     * OpenBLAS's threads busy, few enough that their native operands (0.5 to 0.7 MB each at L = 64, DH = 256)
     * stay small.
     */
    static final int GROUP_SIZE = 32;

    private HostKernelSupport() {
    }

    /** Recurrences that walk their chunks together, products collected in one {@link HostGemmBatch}. */
    interface RecurrenceGroup extends AutoCloseable {
        /** Runs the recurrences [from, to), at most the group's size. */
        void run(int from, int to);

        @Override
        void close();
    }

    /** Opens a group of {@code size} recurrences whose products are batched or run on the calling thread. */
    @FunctionalInterface
    interface GroupFactory {
        RecurrenceGroup open(int size, boolean batched);
    }

    /**
     * Runs the recurrences [0, rows). Where OpenBLAS's batch call takes every product of the kernel (the
     * smallest being {@code smallestProduct} = M N K), groups of {@link #GROUP_SIZE} run on the caller and
     * OpenBLAS's threads share each batch. Otherwise the recurrences are spread over Java threads, one at a
     * time per thread with its state in cache, each product single-threaded.
     */
    static void forEachRecurrence(int rows, double smallestProduct, GroupFactory groups) {
        if (HostGemmBatch.canBatch(smallestProduct)) {
            int size = Math.min(rows, GROUP_SIZE);
            try (RecurrenceGroup group = groups.open(size, true)) {
                for (int first = 0; first < rows; first += size) {
                    group.run(first, Math.min(rows, first + size));
                }
            }
        } else {
            HostGemmBatch.forEachWithSingleThreadedBlas(rows, (from, to) -> {
                try (RecurrenceGroup group = groups.open(1, false)) {
                    for (int row = from; row < to; row++) {
                        group.run(row, row + 1);
                    }
                }
            });
        }
    }

    /**
     * Pointer.memcpy would offset typed pointers by their position in bytes, not elements; BLAS's copy
     * takes them as float pointers.
     */
    static void copy(FloatPointer from, FloatPointer to, long length) {
        openblas_nolapack.cblas_scopy((int) length, from, 1, to, 1);
    }

    /** The sum of the element-wise product of two length-n ranges. */
    static float dot(FloatPointer a, FloatPointer b, long length) {
        return openblas_nolapack.cblas_sdot((int) length, a, 1, b, 1);
    }

    static float[] readAll(INDArray a, String what) {
        float[] values = new float[(int) a.length()];
        HostArrays.read(HostArrays.pointer(a, what), 0, values, 0, values.length);
        return values;
    }
}
