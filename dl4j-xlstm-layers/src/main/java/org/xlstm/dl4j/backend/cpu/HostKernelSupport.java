package org.xlstm.dl4j.backend.cpu;

import java.util.function.Supplier;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.openblas.global.openblas_nolapack;
import org.nd4j.linalg.api.ndarray.INDArray;

/** What the host (CPU, float32) chunkwise forward and backward share. */
final class HostKernelSupport {
    private HostKernelSupport() {
    }

    /** One recurrence of a {@link RecurrenceGroup}: its carried state and the native operands of its products. */
    interface Member extends AutoCloseable {
        void start(int recurrence);

        /** Stage {@code stage} (0, 1, 2) of chunk {@code chunk}: Java work, then queues that stage's products. */
        void queue(int stage, int chunk);

        void finish();

        @Override
        void close();
    }

    /**
     * Recurrences that walk their chunks in step: per chunk three stages, each queueing the products of every
     * member into one {@link GemmQueue} that then runs them.
     */
    abstract static class RecurrenceGroup implements AutoCloseable {
        private final Member[] members;
        private final GemmQueue batch;
        private final int chunks;
        private final boolean reverse;

        RecurrenceGroup(int size, int productsPerMember, int chunks, boolean reverse) {
            this.members = new Member[size];
            this.batch = new GemmQueue(size * productsPerMember);
            this.chunks = chunks;
            this.reverse = reverse;
        }

        /** Creates the members; call once from the subclass constructor. */
        final void fill(Supplier<Member> member) {
            for (int i = 0; i < members.length; i++) {
                members[i] = member.get();
            }
        }

        final GemmQueue batch() {
            return batch;
        }

        /** Runs the recurrences [from, to), at most the group's size. */
        final void run(int from, int to) {
            int count = to - from;
            for (int i = 0; i < count; i++) {
                members[i].start(from + i);
            }
            for (int step = 0; step < chunks; step++) {
                int chunk = reverse ? chunks - 1 - step : step;
                for (int stage = 0; stage < 3; stage++) {
                    for (int i = 0; i < count; i++) {
                        members[i].queue(stage, chunk);
                    }
                    batch.run();
                }
            }
            for (int i = 0; i < count; i++) {
                members[i].finish();
            }
        }

        @Override
        public final void close() {
            for (Member m : members) {
                m.close();
            }
        }
    }

    /** Opens a group of {@code size} recurrences. */
    @FunctionalInterface
    interface GroupFactory {
        RecurrenceGroup open(int size);
    }

    /**
     * Runs the recurrences [0, rows) one after another on the calling thread, each with its state in cache.
     * Why not over Java threads: each product is an ordinary OpenBLAS call, and OpenBLAS threads products of
     * 64^3 and more itself; called from several Java threads at once, those threaded calls contend for its
     * workers (2026-12-03, 2-core EPYC, OpenBLAS 0.3.19: mLSTM x2 training 7x slower than one calling thread).
     * The library may not change OpenBLAS's process-wide thread count, so one calling thread it is.
     */
    static void forEachRecurrence(int rows, GroupFactory groups) {
        try (RecurrenceGroup group = groups.open(1)) {
            for (int row = 0; row < rows; row++) {
                group.run(row, row + 1);
            }
        }
    }

    /**
     * One native block for ranges of the given sizes, laid out one after another: element 0 is the whole
     * block (close it to free them all), element i + 1 the range of {@code sizes[i]}.
     */
    static FloatPointer[] block(long... sizes) {
        long total = 0;
        for (long size : sizes) {
            total += size;
        }
        FloatPointer[] parts = new FloatPointer[sizes.length + 1];
        parts[0] = new FloatPointer(total);
        long offset = 0;
        for (int i = 0; i < sizes.length; i++) {
            parts[i + 1] = HostArrays.at(parts[0], offset);
            offset += sizes[i];
        }
        return parts;
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
