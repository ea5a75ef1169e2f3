// Shared device helpers of the chunkwise mLSTM kernels.
//
// The kernel files contain no #include so that one concatenation (this header, mlstm_glue.cu,
// mlstm_forward.cu, mlstm_backward.cu, mlstm_step.cu) compiles with nvcc, with NVRTC (no system headers),
// and with g++ through the SIMT shim of the CPU tests. All arithmetic is FP32.
//
// Compile-time sizes (override with -D for the CPU tests, which start one host thread per CUDA thread):
//   XLSTM_THREADS    threads per block (a power of two, multiple of XLSTM_TILE)
//   XLSTM_MAX_CHUNK  largest chunk length L a launch may use
//   XLSTM_TILE       head-dimension tile: state tiles are TILE x TILE, output column tiles TILE wide
//   XLSTM_KSTEP      reduction depth staged in shared memory per step of tile_mma
#ifndef XLSTM_THREADS
#define XLSTM_THREADS 256
#endif
#ifndef XLSTM_MAX_CHUNK
#define XLSTM_MAX_CHUNK 64
#endif
#ifndef XLSTM_TILE
#define XLSTM_TILE 64
#endif
#ifndef XLSTM_KSTEP
#define XLSTM_KSTEP 16
#endif

// A barrier that the race test can remove one at a time (-DXLSTM_TEST_DROP_SYNC=id) to prove that the
// CPU tests notice a missing __syncthreads().
#ifdef XLSTM_TEST_DROP_SYNC
#define XLSTM_SYNC(id) do { if ((id) != XLSTM_TEST_DROP_SYNC) __syncthreads(); } while (0)
#else
#define XLSTM_SYNC(id) __syncthreads()
#endif

// Stands in for -inf (the log input gate of a masked step): exp() of it minus any finite stabilizer is an
// exact 0, and unlike -inf it never produces inf - inf = NaN.
#define XLSTM_NEG_BIG (-1.0e30f)
#define XLSTM_EPS 1.0e-6f

// Staging buffers of tile_mma hold a [max(MAX_CHUNK, TILE) x KSTEP] and a [KSTEP x max(...)] slab.
#define XLSTM_TILE_MAX (XLSTM_MAX_CHUNK > XLSTM_TILE ? XLSTM_MAX_CHUNK : XLSTM_TILE)
#define XLSTM_STAGE (XLSTM_TILE_MAX * XLSTM_KSTEP)

static_assert((XLSTM_THREADS & (XLSTM_THREADS - 1)) == 0, "XLSTM_THREADS must be a power of two");
static_assert(XLSTM_THREADS % XLSTM_TILE == 0, "XLSTM_THREADS must be a multiple of XLSTM_TILE");
static_assert((XLSTM_MAX_CHUNK * XLSTM_TILE) % XLSTM_THREADS == 0, "chunk x tile must split evenly over threads");
static_assert((XLSTM_TILE * XLSTM_TILE) % XLSTM_THREADS == 0, "tile x tile must split evenly over threads");
static_assert((XLSTM_MAX_CHUNK * XLSTM_MAX_CHUNK) % XLSTM_THREADS == 0, "chunk x chunk must split evenly over threads");

__device__ __forceinline__ float xlstm_logsigmoid(float x) {
    // min(x, 0) - log(1 + exp(-|x|)): no overflow for either sign.
    return fminf(x, 0.0f) - log1pf(expf(-fabsf(x)));
}

__device__ __forceinline__ float xlstm_sigmoid(float x) {
    return 1.0f / (1.0f + expf(-x));
}

// acc += A B for one TM x TN output tile computed by the whole block. Thread t owns the elements
// e = t + r * XLSTM_THREADS (row e / TN, column e % TN), r < TM * TN / XLSTM_THREADS, so the
// accumulators stay in registers across calls.
//   A(i, p) = a[i * sai + p * sap] * (pscale ? pscale[p] : 1)   for i < M, p < K
//   B(p, j) = b[p * sbp + j * sbj]                                for j < N
// Strides make transposed operands free of copies; a and b may point to global or shared memory.
// Rows/columns beyond M/N are computed on zeros and must be ignored by the caller.
template <int TM, int TN>
__device__ __forceinline__ void tile_mma(float* acc,
                                         const float* a, int sai, int sap, const float* pscale,
                                         const float* b, int sbp, int sbj,
                                         int M, int N, int K, float* shA, float* shB) {
    static_assert(XLSTM_THREADS % TN == 0, "a thread's elements must stay in one column");
    constexpr int R = TM * TN / XLSTM_THREADS;
    constexpr int ROW_STEP = XLSTM_THREADS / TN;
    const int tid = threadIdx.x;
    const int col = tid % TN;
    const int row0 = tid / TN;
    for (int p0 = 0; p0 < K; p0 += XLSTM_KSTEP) {
        for (int e = tid; e < TM * XLSTM_KSTEP; e += XLSTM_THREADS) {
            const int i = e / XLSTM_KSTEP;
            const int p = p0 + e % XLSTM_KSTEP;
            float x = 0.0f;
            if (i < M && p < K) {
                x = a[(long long)i * sai + (long long)p * sap];
                if (pscale) x *= pscale[p];
            }
            shA[e] = x;
        }
        for (int e = tid; e < XLSTM_KSTEP * TN; e += XLSTM_THREADS) {
            const int p = p0 + e / TN;
            const int j = e % TN;
            shB[e] = (j < N && p < K) ? b[(long long)p * sbp + (long long)j * sbj] : 0.0f;
        }
        XLSTM_SYNC(1);  // the slabs are complete before anyone multiplies
        // A thread's elements share one column j = tid % TN and step through rows by ROW_STEP, so each
        // B value is loaded once for all R rows, and (with TN >= 32) a warp reads one A row, a broadcast, whose
        // KSTEP consecutive floats the compiler can fetch with vector loads.
        for (int p = 0; p < XLSTM_KSTEP; ++p) {
            const float bv = shB[p * TN + col];
            for (int r = 0; r < R; ++r) acc[r] += shA[(row0 + r * ROW_STEP) * XLSTM_KSTEP + p] * bv;
        }
        XLSTM_SYNC(2);  // everyone is done reading before the next slab overwrites them
    }
}

// Sum of one value per thread, returned to every thread. red holds XLSTM_THREADS floats.
__device__ __forceinline__ float block_sum(float x, float* red) {
    const int tid = threadIdx.x;
    red[tid] = x;
    XLSTM_SYNC(3);
    for (int s = XLSTM_THREADS / 2; s > 0; s >>= 1) {
        if (tid < s) red[tid] += red[tid + s];
        XLSTM_SYNC(4);
    }
    const float total = red[0];
    XLSTM_SYNC(5);  // red may be reused right after the call
    return total;
}

// Loads the chunk's cumulative log forget gates b and log input gates minus b (a) into shared memory.
__device__ __forceinline__ void load_chunk_gates(const float* bcum, const float* acum, long long row0, int len,
                                                 float* b, float* a) {
    for (int j = threadIdx.x; j < len; j += XLSTM_THREADS) {
        b[j] = bcum[row0 + j];
        a[j] = acum[row0 + j];
    }
}
