package org.xlstm.dl4j.ops;

import static org.bytedeco.openblas.global.openblas_nolapack.CblasNoTrans;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasRowMajor;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasTrans;

import java.util.Arrays;
import java.util.Collections;
import java.util.Map;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.openblas.global.openblas_nolapack;

import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;

/**
 * Independent row-major float32 products {@code C = op(A) op(B) + beta C}, collected and then run by one
 * call to OpenBLAS's {@code cblas_sgemm_batch}, which spreads them over OpenBLAS's own worker threads.
 *
 * <p>Why not one Java thread per product: after every threaded call (ND4J's, or a projection of ours)
 * OpenBLAS's workers keep spinning for up to about 0.1 s. On few cores, Java threads computing next to them
 * lose that share of the machine: the chunkwise mLSTM forward took 56 ms on two Java threads against 35 ms
 * with the spinning disabled (E = 512, T = 2048). Handing the products to those same workers puts them to use.
 *
 * <p>ND4J's own Java BLAS calls go to bytedeco's {@code openblas_nolapack} library, a separately loaded copy
 * of OpenBLAS with its own worker pool (libnd4jcpu links a second copy). The batch call is bound to that same
 * library, so it shares the pool that ND4J and {@link HostGemm} wake. bytedeco's binding lacks the batch
 * function, so it is bound here with JNA. It is used only on the OpenBLAS core it was verified on and for
 * products past the small-matrix limit (see {@link #allAboveSmallMatrixLimit}); elsewhere callers spread
 * their work over Java threads with unbatched instances, inside a {@link SingleThreadedBlas} scope.
 */
public final class HostGemmBatch {
    private static final int RTLD_LAZY = 0x1;
    private static final int RTLD_NOLOAD = 0x4;
    private static final double SMALL_MATRIX_LIMIT = 100.0 * 100.0 * 100.0;
    /**
     * The OpenBLAS core whose batch call was checked against cblas_sgemm, small-matrix limit included: the one
     * OpenBLAS 0.3.28 picks for the AVX-512 AMD EPYC machines this project is built on. Its sgemm kernels
     * are Skylake-X's.
     */
    private static final String VERIFIED_CORE = "cooperlake";

    private final int capacity;
    private final int[] transA;
    private final int[] transB;
    private final int[] m;
    private final int[] n;
    private final int[] k;
    private final int[] lda;
    private final int[] ldb;
    private final int[] ldc;
    private final float[] beta;
    private final FloatPointer[] a;
    private final FloatPointer[] b;
    private final FloatPointer[] c;
    private final boolean batched;
    private int count;

    /**
     * Room for up to {@code capacity} products per {@link #run()}. Unless {@code batched}, {@link #run()} runs
     * them one after another on the calling thread.
     */
    public HostGemmBatch(int capacity, boolean batched) {
        this.capacity = capacity;
        this.batched = batched;
        transA = new int[capacity];
        transB = new int[capacity];
        m = new int[capacity];
        n = new int[capacity];
        k = new int[capacity];
        lda = new int[capacity];
        ldb = new int[capacity];
        ldc = new int[capacity];
        beta = new float[capacity];
        a = new FloatPointer[capacity];
        b = new FloatPointer[capacity];
        c = new FloatPointer[capacity];
    }

    /** Queues {@code C = op(A) op(B) + beta C}; op(A) [m, k], op(B) [k, n], C [m, n], all row-major. */
    public void add(boolean transposeA, boolean transposeB, int rows, int cols, int depth, FloatPointer left,
                    int leftStride, FloatPointer right, int rightStride, float accumulate, FloatPointer out,
                    int outStride) {
        if (count == capacity) {
            throw new IllegalStateException("HostGemmBatch: more than " + capacity + " products queued");
        }
        transA[count] = transposeA ? CblasTrans : CblasNoTrans;
        transB[count] = transposeB ? CblasTrans : CblasNoTrans;
        m[count] = rows;
        n[count] = cols;
        k[count] = depth;
        a[count] = left;
        lda[count] = leftStride;
        b[count] = right;
        ldb[count] = rightStride;
        beta[count] = accumulate;
        c[count] = out;
        ldc[count] = outStride;
        count++;
    }

    /** Runs the queued products (their outputs must not overlap) and empties the batch. */
    public void run() {
        BatchCall call = BatchCall.INSTANCE;
        if (batched && call != null && count > 1 && allAboveSmallMatrixLimit()) {
            call.run(this);
        } else {
            for (int i = 0; i < count; i++) {
                openblas_nolapack.cblas_sgemm(CblasRowMajor, transA[i], transB[i], m[i], n[i], k[i], 1f, a[i], lda[i],
                        b[i], ldb[i], beta[i], c[i], ldc[i]);
            }
        }
        count = 0;
    }

    /**
     * Whether products no smaller than {@code smallestProduct} (M N K) run through OpenBLAS's batch call:
     * on the OpenBLAS core it was verified on, and past the small-matrix limit.
     */
    public static boolean canBatch(double smallestProduct) {
        return BatchCall.INSTANCE != null && smallestProduct > SMALL_MATRIX_LIMIT;
    }

    /**
     * Whether every product is past the size where OpenBLAS's Skylake-X kernels take their small-matrix path
     * (M N K <= 100^3); in this build's batch call that path jumps to a null kernel and crashes the process.
     */
    private boolean allAboveSmallMatrixLimit() {
        for (int i = 0; i < count; i++) {
            if ((double) m[i] * n[i] * k[i] <= SMALL_MATRIX_LIMIT) {
                return false;
            }
        }
        return true;
    }

    private static long address(FloatPointer p) {
        return p.address() + p.position() * (long) Float.BYTES;
    }

    /**
     * The bound batch function. Each product is its own group of one, so every product keeps its own shape
     * and beta; OpenBLAS flattens the groups into one list before dividing it among its threads.
     */
    private static final class BatchCall {
        static final BatchCall INSTANCE = bind();

        private Memory pointers = new Memory(Native.POINTER_SIZE);
        private int pointerCapacity;
        private int[] groupSizes = new int[0];
        private float[] alphas = new float[0];

        static native void cblas_sgemm_batch(int order, int[] transA, int[] transB, int[] m, int[] n, int[] k,
                                             float[] alpha, Pointer a, int[] lda, Pointer b, int[] ldb,
                                             float[] beta, Pointer c, int[] ldc, int groupCount, int[] groupSize);

        static native String openblas_get_corename();

        private static BatchCall bind() {
            try {
                Loader.load(openblas_nolapack.class);
                String path = loadedPath("openblas_nolapack@");
                if (path == null || !Platform.isLinux() || Native.POINTER_SIZE != Long.BYTES) {
                    return null;
                }
                // NOLOAD: bind to the copy ND4J already uses, never load another one.
                Map<String, Object> options = Collections.singletonMap(Library.OPTION_OPEN_FLAGS,
                        RTLD_LAZY | RTLD_NOLOAD);
                Native.register(BatchCall.class, NativeLibrary.getInstance(path, options));
                return VERIFIED_CORE.equalsIgnoreCase(openblas_get_corename()) ? new BatchCall() : null;
            } catch (Throwable e) {
                return null;
            }
        }

        private static String loadedPath(String keyPrefix) {
            for (Map.Entry<String, String> library : Loader.getLoadedLibraries().entrySet()) {
                if (library.getKey().startsWith(keyPrefix) && library.getValue() != null) {
                    return library.getValue();
                }
            }
            return null;
        }

        synchronized void run(HostGemmBatch batch) {
            int count = batch.count;
            if (count > pointerCapacity) {
                pointers = new Memory(3L * count * Native.POINTER_SIZE);
                pointerCapacity = count;
                groupSizes = new int[count];
                Arrays.fill(groupSizes, 1);
                alphas = new float[count];
                Arrays.fill(alphas, 1f);
            }
            long size = Native.POINTER_SIZE;
            for (int i = 0; i < count; i++) {
                pointers.setLong(i * size, address(batch.a[i]));
                pointers.setLong((pointerCapacity + i) * size, address(batch.b[i]));
                pointers.setLong((2L * pointerCapacity + i) * size, address(batch.c[i]));
            }
            cblas_sgemm_batch(CblasRowMajor, batch.transA, batch.transB, batch.m, batch.n, batch.k, alphas, pointers,
                    batch.lda, pointers.share(pointerCapacity * size), batch.ldb, batch.beta,
                    pointers.share(2L * pointerCapacity * size), batch.ldc, count, groupSizes);
        }
    }
}
