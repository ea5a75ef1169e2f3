package org.xlstm.dl4j.backend.cpu;

import org.xlstm.dl4j.ops.OpSupport;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.RecursiveAction;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Raw access to the memory of float32 ND4J arrays on the CPU backend, for the fused Java loops of the host
 * kernels and the step form. Reads and writes are bulk copies ({@code FloatPointer.get/put} of a whole range
 * is one native call; {@code get(i)} per element would be one native call per element).
 */
public final class HostArrays {
    private HostArrays() {
    }

    /** Work on the rows [from, to) of a range; bodies of different ranges run concurrently. */
    @FunctionalInterface
    public interface RowRange {
        void run(int from, int to);
    }

    /** Whether every array is a dense c-order float32 array in host memory (ND4J's CPU backend). */
    public static boolean usable(INDArray... arrays) {
        if (!Nd4j.getEnvironment().isCPU()) {
            return false;
        }
        for (INDArray a : arrays) {
            if (a != null && (a.dataType() != DataType.FLOAT || !isDense(a))) {
                return false;
            }
        }
        return true;
    }

    /**
     * Runs {@code body} over [0, rows) split into ranges of at least {@code minRows} rows, on the caller and
     * the common fork-join pool. Bodies must write disjoint memory.
     */
    public static void forRows(int rows, int minRows, RowRange body) {
        int parts = (int) Math.min(ForkJoinPool.getCommonPoolParallelism() + 1L, Math.max(1, rows / Math.max(1, minRows)));
        if (parts <= 1) {
            body.run(0, rows);
            return;
        }
        RecursiveAction[] tasks = new RecursiveAction[parts - 1];
        for (int p = 1; p < parts; p++) {
            int from = (int) ((long) rows * p / parts);
            int to = (int) ((long) rows * (p + 1) / parts);
            tasks[p - 1] = new RecursiveAction() {
                @Override
                protected void compute() {
                    body.run(from, to);
                }
            };
            tasks[p - 1].fork();
        }
        body.run(0, (int) ((long) rows / parts));
        for (RecursiveAction task : tasks) {
            task.join();
        }
    }

    /**
     * A pointer to element 0 of {@code array}. The data buffer of a view (DL4J's parameter views of the flat
     * parameter vector included) already starts at the view's offset: it is the pointer ND4J itself hands to
     * BLAS ({@code CpuLevel2}, {@code CpuLevel3}).
     */
    public static FloatPointer pointer(INDArray array, String what) {
        if (array.dataType() != DataType.FLOAT || !isDense(array)) {
            throw new IllegalStateException(what + ": the step form needs a contiguous c-order float32 array, got "
                    + array.dataType() + " " + array.ordering() + " " + array.shapeInfoToString());
        }
        return (FloatPointer) array.data().addressPointer();
    }

    /** Whether the elements lie in c order without gaps (strides of size-1 dimensions do not matter). */
    public static boolean isDense(INDArray array) {
        long expected = 1;
        for (int i = array.rank() - 1; i >= 0; i--) {
            if (array.size(i) != 1 && array.stride(i) != expected) {
                return false;
            }
            expected *= array.size(i);
        }
        return true;
    }

    /**
     * A pointer {@code offset} elements after {@code base}'s position; {@code base} is left as it is. The view
     * may be moved with {@code position} by its owner.
     */
    public static FloatPointer at(FloatPointer base, long offset) {
        return new View(base, base.position() + offset);
    }

    /**
     * A pointer into another pointer's memory that keeps the other pointer, and so its memory, reachable.
     * JavaCPP's copy constructor gives every copy a proxy deallocator (a phantom reference and a counter, about
     * 100 bytes): views are taken per row tile and, in the step form, dozens of times per token, and that
     * garbage made the young collections of a streaming run frequent.
     */
    private static final class View extends FloatPointer {
        @SuppressWarnings({"unused", "FieldCanBeLocal"})
        private final FloatPointer base;

        View(FloatPointer base, long position) {
            super((Pointer) null);
            this.base = base;
            this.address = base.address();
            this.limit = base.limit();
            this.capacity = base.capacity();
            this.position = position;
        }
    }

    public static void read(FloatPointer from, long offset, float[] to, int toOffset, int length) {
        (offset == 0 ? from : at(from, offset)).get(to, toOffset, length);
    }

    public static void write(float[] from, int fromOffset, int length, FloatPointer to, long offset) {
        (offset == 0 ? to : at(to, offset)).put(from, fromOffset, length);
    }

    /**
     * Assigns {@code value} (c order) to the gradient {@code dW}, usually a view of DL4J's flat gradient
     * vector; anything not dense float32 goes through ND4J.
     */
    static void writeGradient(float[] value, INDArray dW, String what) {
        if (usable(dW)) {
            write(value, 0, value.length, pointer(dW, what), 0);
        } else {
            OpSupport.assignGradient(dW, Nd4j.createFromArray(value));
        }
    }
}
