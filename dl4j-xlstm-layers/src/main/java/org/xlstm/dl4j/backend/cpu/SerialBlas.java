package org.xlstm.dl4j.backend.cpu;

/**
 * The sizes up to which OpenBLAS runs a call on the calling thread, and how to cut a larger product into
 * such pieces. Products cut this way run in parallel on Java threads without waking OpenBLAS's workers:
 * threaded calls from several Java threads at once contend for those workers (mLSTM training 7x slower,
 * 2026-12-03), and the library may not change OpenBLAS's process-wide thread count.
 *
 * <p>The limits are OpenBLAS 0.3.19's (ND4J 1.0.0-M2.1's) with its default {@code GEMM_MULTITHREAD_THRESHOLD}
 * of 4; with other values the results are the same and only the threading differs.
 */
public final class SerialBlas {
    /** The largest gemv run serially (interface/gemv.c: threaded when m·n >= 2304 · 4). */
    public static final long GEMV_ELEMENTS = 2304L * 4 - 1;
    /** The largest ger run serially (interface/ger.c: threaded when m·n > 2048 · 4). */
    public static final long GER_ELEMENTS = 2048L * 4;
    /** The largest gemm run serially (interface/gemm.c: threaded when M·N·K > 65536 · 4). */
    public static final long GEMM_VOLUME = 65536L * 4;
    /** The largest scal run serially (interface/scal.c: threaded above 2^20 elements). */
    public static final long SCAL_ELEMENTS = 1L << 20;

    private SerialBlas() {
    }

    /** How many rows or columns of {@code perLine} elements make at most {@code maxSerial} (at least one). */
    public static int piece(long maxSerial, long perLine) {
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, maxSerial / Math.max(1, perLine)));
    }
}
