// One recurrent step of the mLSTM for streaming inference (rnnTimeStep):
//   m' = max(logsigmoid(f) + m, i), f' = exp(logsigmoid(f) + m - m'), i' = exp(i - m')
//   C' = f' C + i' k' v^T, n' = f' n + i' k', h = C'^T q / (max(|n'.q|, exp(-m')) + eps)
// A masked sequence keeps its state and outputs 0. Grid (B*NH, value tiles); in a block, thread
// (row group g, column x) walks the keys g, g + G, ... of column v0 + x, so global accesses are coalesced
// along the value dimension. Layouts: q, k, v, n, h [B*NH, DH]; C [B*NH, DH, DH]; igate, fgate, m [B*NH].
extern "C" __global__ void xlstm_mlstm_step(const float* __restrict__ q, const float* __restrict__ k,
                                            const float* __restrict__ v, const float* __restrict__ igate,
                                            const float* __restrict__ fgate, const float* __restrict__ mask,
                                            const float* __restrict__ C, const float* __restrict__ n,
                                            const float* __restrict__ m, float* __restrict__ h,
                                            float* __restrict__ Cn, float* __restrict__ nn,
                                            float* __restrict__ mn, int NH, int DH) {
    __shared__ float red[XLSTM_THREADS];
    constexpr int G = XLSTM_THREADS / XLSTM_TILE;
    const int tid = threadIdx.x;
    const int bh = blockIdx.x;
    const int v0 = blockIdx.y * XLSTM_TILE;
    const int x = tid % XLSTM_TILE;
    const int g = tid / XLSTM_TILE;
    const long long vb = (long long)bh * DH;
    const float scale = 1.0f / sqrtf((float)DH);
    const bool real = !mask || mask[bh / NH] != 0.0f;

    const float mprev = m[bh];
    float mnew = mprev;
    float fp = 1.0f;
    float ip = 0.0f;
    if (real) {
        const float logf_ = xlstm_logsigmoid(fgate[bh]);
        mnew = fmaxf(logf_ + mprev, igate[bh]);
        fp = expf(logf_ + mprev - mnew);
        ip = expf(igate[bh] - mnew) * scale;  // folds k' = k / sqrt(DH) into the input gate
    }

    // Every block needs the full n'.q; the first value tile also stores n' and m'.
    float part = 0.0f;
    for (int d = tid; d < DH; d += XLSTM_THREADS) {
        const float nv = fp * n[vb + d] + ip * k[vb + d];
        if (blockIdx.y == 0) nn[vb + d] = nv;
        part += nv * q[vb + d];
    }
    const float den = block_sum(part, red);
    if (blockIdx.y == 0 && tid == 0) mn[bh] = mnew;

    const int vd = v0 + x;
    float num = 0.0f;
    if (vd < DH) {
        const float vv = ip * v[vb + vd];
        for (int kd = g; kd < DH; kd += G) {
            const long long off = (vb + kd) * DH + vd;
            const float cv = fp * C[off] + k[vb + kd] * vv;
            Cn[off] = cv;
            num += cv * q[vb + kd];
        }
    }
    red[tid] = num;
    XLSTM_SYNC(70);
    if (g == 0 && vd < DH) {
        float s = 0.0f;
        for (int r = 0; r < G; ++r) s += red[r * XLSTM_TILE + x];
        h[vb + vd] = real ? s / (fmaxf(fabsf(den), expf(-mnew)) + XLSTM_EPS) : 0.0f;
    }
}
