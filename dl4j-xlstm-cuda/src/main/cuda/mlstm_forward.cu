// Chunkwise mLSTM forward in two passes (TFLA-style decomposition):
//  1. xlstm_mlstm_fwd_states: the sequential part. One block per (b*h, key tile, value tile) walks the
//     chunks in order, keeps its TILE x TILE slice of the stabilised memory C in registers, and stores
//     the state carried into every chunk (Cs, ns, ms) plus the final state.
//  2. xlstm_mlstm_fwd_outputs: the parallel part. One block per (b*h, chunk) computes the chunk's outputs
//     from the carried state and the intra-chunk attention-like form.
// Layouts: q, k, v, h [B*NH, T, DH]; Cs [B*NH, NC, DH, DH] ([key, value]); ns [B*NH, NC, DH];
// ms [B*NH, NC + 1] (entry NC is the final stabilizer); mt, dent [B*NH, T].

extern "C" __global__ void xlstm_mlstm_fwd_states(const float* __restrict__ k, const float* __restrict__ v,
                                                  const float* __restrict__ bcum, const float* __restrict__ acum,
                                                  const float* __restrict__ c_init, const float* __restrict__ n_init,
                                                  const float* __restrict__ m_init, float* __restrict__ Cs,
                                                  float* __restrict__ ns, float* __restrict__ ms,
                                                  float* __restrict__ c_fin, float* __restrict__ n_fin,
                                                  float* __restrict__ m_fin, int T, int DH, int L, int NC) {
    __shared__ float shA[XLSTM_STAGE];
    __shared__ float shB[XLSTM_STAGE];
    __shared__ float b[XLSTM_MAX_CHUNK];
    __shared__ float a[XLSTM_MAX_CHUNK];
    __shared__ float e[XLSTM_MAX_CHUNK];
    __shared__ float mnew_sh;
    constexpr int PER = XLSTM_TILE * XLSTM_TILE / XLSTM_THREADS;
    const int tid = threadIdx.x;
    const int bh = blockIdx.x;
    const int k0 = blockIdx.y * XLSTM_TILE;
    const int v0 = blockIdx.z * XLSTM_TILE;
    const int mk = min(XLSTM_TILE, DH - k0);
    const int mv = min(XLSTM_TILE, DH - v0);
    const bool owns_n = blockIdx.z == 0 && tid < mk;  // the first value tile also carries n for its keys
    const bool owns_m = blockIdx.y == 0 && blockIdx.z == 0 && tid == 0;
    const float scale = 1.0f / sqrtf((float)DH);
    const long long cbase = (long long)bh * DH * DH;

    float acc[PER];
    for (int r = 0; r < PER; ++r) {
        const int el = tid + r * XLSTM_THREADS;
        const int i = el / XLSTM_TILE;
        const int j = el % XLSTM_TILE;
        acc[r] = (c_init && i < mk && j < mv) ? c_init[cbase + (long long)(k0 + i) * DH + v0 + j] : 0.0f;
    }
    float nreg = (owns_n && n_init) ? n_init[(long long)bh * DH + k0 + tid] : 0.0f;
    float m0 = m_init ? m_init[bh] : 0.0f;

    for (int c = 0; c < NC; ++c) {
        const int t0 = c * L;
        const int len = min(L, T - t0);
        const long long row0 = (long long)bh * T + t0;
        const long long sbase = ((long long)bh * NC + c) * DH;
        for (int r = 0; r < PER; ++r) {
            const int el = tid + r * XLSTM_THREADS;
            const int i = el / XLSTM_TILE;
            const int j = el % XLSTM_TILE;
            if (i < mk && j < mv) Cs[(sbase + k0 + i) * DH + v0 + j] = acc[r];
        }
        if (owns_n) ns[sbase + k0 + tid] = nreg;
        if (owns_m) ms[(long long)bh * (NC + 1) + c] = m0;

        load_chunk_gates(bcum, acum, row0, len, b, a);
        XLSTM_SYNC(20);
        // m' = max(b_L + m0, max_s b_L + a_s): serial over <= MAX_CHUNK values, negligible next to the update.
        if (tid == 0) {
            float mn = b[len - 1] + m0;
            for (int s = 0; s < len; ++s) mn = fmaxf(mn, b[len - 1] + a[s]);
            mnew_sh = mn;
        }
        XLSTM_SYNC(21);
        const float mnew = mnew_sh;
        const float u = expf(b[len - 1] + m0 - mnew);
        for (int s = tid; s < len; s += XLSTM_THREADS) e[s] = expf(b[len - 1] + a[s] - mnew) * scale;
        XLSTM_SYNC(22);

        for (int r = 0; r < PER; ++r) acc[r] *= u;
        // C[kd][vd] += sum_s (e_s k'_s)[kd] v_s[vd]: A = K^T (key dim as rows), B = V.
        tile_mma<XLSTM_TILE, XLSTM_TILE>(acc, k + row0 * DH + k0, 1, DH, e, v + row0 * DH + v0, DH, 1,
                                         mk, mv, len, shA, shB);
        if (owns_n) {
            float s = 0.0f;
            for (int j = 0; j < len; ++j) s += e[j] * k[(row0 + j) * DH + k0 + tid];
            nreg = u * nreg + s;
        }
        m0 = mnew;
        XLSTM_SYNC(23);  // b, a, e and mnew_sh are rewritten by the next chunk
    }

    for (int r = 0; r < PER; ++r) {
        const int el = tid + r * XLSTM_THREADS;
        const int i = el / XLSTM_TILE;
        const int j = el % XLSTM_TILE;
        if (i < mk && j < mv) c_fin[cbase + (long long)(k0 + i) * DH + v0 + j] = acc[r];
    }
    if (owns_n) n_fin[(long long)bh * DH + k0 + tid] = nreg;
    if (owns_m) {
        ms[(long long)bh * (NC + 1) + NC] = m0;
        m_fin[bh] = m0;
    }
}

// h_j = (w_j C0^T q_j + sum_{s<=j} S_js v_s) / (max(|w_j n0.q_j + sum_s S_js|, exp(-m_j)) + eps) with
// S_js = (q_j . k'_s) exp(b_j + a_s - m_j), w_j = exp(b_j + m0 - m_j), m_j = max(b_j + m0, max_s b_j + a_s).
// Also stores m_j and the unfloored denominator for the backward pass.
extern "C" __global__ void xlstm_mlstm_fwd_outputs(const float* __restrict__ q, const float* __restrict__ k,
                                                   const float* __restrict__ v, const float* __restrict__ mask,
                                                   const float* __restrict__ bcum, const float* __restrict__ acum,
                                                   const float* __restrict__ Cs, const float* __restrict__ ns,
                                                   const float* __restrict__ ms, float* __restrict__ h,
                                                   float* __restrict__ mt, float* __restrict__ dent,
                                                   int NH, int T, int DH, int L, int NC) {
    __shared__ float shA[XLSTM_STAGE];
    __shared__ float shB[XLSTM_STAGE];
    __shared__ float S[XLSTM_MAX_CHUNK * XLSTM_MAX_CHUNK];
    __shared__ float b[XLSTM_MAX_CHUNK];
    __shared__ float a[XLSTM_MAX_CHUNK];
    __shared__ float mrow[XLSTM_MAX_CHUNK];
    __shared__ float w[XLSTM_MAX_CHUNK];
    __shared__ float rden[XLSTM_MAX_CHUNK];
    constexpr int PS = XLSTM_MAX_CHUNK * XLSTM_MAX_CHUNK / XLSTM_THREADS;
    constexpr int PH = XLSTM_MAX_CHUNK * XLSTM_TILE / XLSTM_THREADS;
    const int tid = threadIdx.x;
    const int bh = blockIdx.x;
    const int c = blockIdx.y;
    const int t0 = c * L;
    const int len = min(L, T - t0);
    const long long row0 = (long long)bh * T + t0;
    const float* C0 = Cs + ((long long)bh * NC + c) * DH * DH;
    const float* n0 = ns + ((long long)bh * NC + c) * DH;
    const float m0 = ms[(long long)bh * (NC + 1) + c];
    const float scale = 1.0f / sqrtf((float)DH);

    load_chunk_gates(bcum, acum, row0, len, b, a);
    XLSTM_SYNC(30);
    for (int j = tid; j < len; j += XLSTM_THREADS) {
        float m = b[j] + m0;
        for (int s = 0; s <= j; ++s) m = fmaxf(m, b[j] + a[s]);
        mrow[j] = m;
        w[j] = expf(b[j] + m0 - m);
    }
    XLSTM_SYNC(31);

    float P[PS];
    for (int r = 0; r < PS; ++r) P[r] = 0.0f;
    tile_mma<XLSTM_MAX_CHUNK, XLSTM_MAX_CHUNK>(P, q + row0 * DH, DH, 1, nullptr, k + row0 * DH, 1, DH,
                                               len, len, DH, shA, shB);
    for (int r = 0; r < PS; ++r) {
        const int el = tid + r * XLSTM_THREADS;
        const int j = el / XLSTM_MAX_CHUNK;
        const int s = el % XLSTM_MAX_CHUNK;
        S[el] = (j < len && s <= j) ? P[r] * scale * expf(b[j] + a[s] - mrow[j]) : 0.0f;
    }
    XLSTM_SYNC(32);

    for (int j = tid; j < len; j += XLSTM_THREADS) {
        float qn = 0.0f;
        for (int d = 0; d < DH; ++d) qn += q[(row0 + j) * DH + d] * n0[d];
        float den = w[j] * qn;
        for (int s = 0; s <= j; ++s) den += S[j * XLSTM_MAX_CHUNK + s];
        const bool real = !mask || mask[(long long)(bh / NH) * T + t0 + j] != 0.0f;
        rden[j] = real ? 1.0f / (fmaxf(fabsf(den), expf(-mrow[j])) + XLSTM_EPS) : 0.0f;
        mt[row0 + j] = mrow[j];
        dent[row0 + j] = den;
    }
    XLSTM_SYNC(33);

    for (int v0 = 0; v0 < DH; v0 += XLSTM_TILE) {
        const int nv = min(XLSTM_TILE, DH - v0);
        float H[PH];
        for (int r = 0; r < PH; ++r) H[r] = 0.0f;
        // Inter-chunk part: Q C0[:, tile], then the per-row decay w_j.
        tile_mma<XLSTM_MAX_CHUNK, XLSTM_TILE>(H, q + row0 * DH, DH, 1, nullptr, C0 + v0, DH, 1, len, nv, DH, shA, shB);
        for (int r = 0; r < PH; ++r) H[r] *= w[(tid + r * XLSTM_THREADS) / XLSTM_TILE];
        // Intra-chunk part: S V[:, tile].
        tile_mma<XLSTM_MAX_CHUNK, XLSTM_TILE>(H, S, XLSTM_MAX_CHUNK, 1, nullptr, v + row0 * DH + v0, DH, 1,
                                              len, nv, len, shA, shB);
        for (int r = 0; r < PH; ++r) {
            const int el = tid + r * XLSTM_THREADS;
            const int j = el / XLSTM_TILE;
            const int d = el % XLSTM_TILE;
            if (j < len && d < nv) h[(row0 + j) * DH + v0 + d] = H[r] * rden[j];
        }
    }
}
