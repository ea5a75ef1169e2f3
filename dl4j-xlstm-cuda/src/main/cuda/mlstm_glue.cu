// Small per-step kernels around the chunk passes: gate preprocessing before the forward, the
// normalizer derivatives before the backward, and the gate-gradient assembly after it.
// Grids are (B*NH, number of chunks); one thread per step of the chunk.
// Layouts: [B*NH, T] for per-step scalars, mask [B, T] (1 = real step) or null.

// b_j = sum of log forget gates from the chunk start to j (inclusive), a_j = igate_j - b_j; a masked step
// has log forget gate 0 and log input gate "-inf" (XLSTM_NEG_BIG), so it leaves the state unchanged.
extern "C" __global__ void xlstm_mlstm_gates(const float* __restrict__ igate, const float* __restrict__ fgate,
                                             const float* __restrict__ mask, float* __restrict__ bcum,
                                             float* __restrict__ acum, int NH, int T, int L) {
    const int bh = blockIdx.x;
    const int t0 = blockIdx.y * L;
    const int len = min(L, T - t0);
    const long long row0 = (long long)bh * T + t0;
    const float* mrow = mask ? mask + (long long)(bh / NH) * T + t0 : nullptr;
    // O(L^2) work but no inter-thread communication; L <= XLSTM_MAX_CHUNK keeps it small.
    for (int j = threadIdx.x; j < len; j += XLSTM_THREADS) {
        float b = 0.0f;
        for (int r = 0; r <= j; ++r) {
            if (!mrow || mrow[r] != 0.0f) b += xlstm_logsigmoid(fgate[row0 + r]);
        }
        bcum[row0 + j] = b;
        acum[row0 + j] = (!mrow || mrow[j] != 0.0f) ? igate[row0 + j] - b : XLSTM_NEG_BIG;
    }
}

// Per step: rdn = 1/(max(|den|, exp(-m)) + eps) and the gradient of the loss w.r.t. den,
// dden = -(dh . h) rdn sign(den) where the floor is not active (else 0); both 0 on masked steps.
// gq = w dden (q . n0) is the carried-normalizer part of the gradient w.r.t. b_j (and m0).
extern "C" __global__ void xlstm_mlstm_bwd_prep(const float* __restrict__ q, const float* __restrict__ h,
                                                const float* __restrict__ dh, const float* __restrict__ mask,
                                                const float* __restrict__ bcum, const float* __restrict__ ns,
                                                const float* __restrict__ ms, const float* __restrict__ mt,
                                                const float* __restrict__ dent, float* __restrict__ rdn,
                                                float* __restrict__ ddn, float* __restrict__ gq,
                                                int NH, int T, int DH, int L, int NC) {
    const int bh = blockIdx.x;
    const int c = blockIdx.y;
    const int t0 = c * L;
    const int len = min(L, T - t0);
    const long long row0 = (long long)bh * T + t0;
    const float* n0 = ns + ((long long)bh * NC + c) * DH;
    const float m0 = ms[(long long)bh * (NC + 1) + c];
    for (int j = threadIdx.x; j < len; j += XLSTM_THREADS) {
        const long long r = row0 + j;
        if (mask && mask[(long long)(bh / NH) * T + t0 + j] == 0.0f) {
            rdn[r] = 0.0f;
            ddn[r] = 0.0f;
            gq[r] = 0.0f;
            continue;
        }
        const float m = mt[r];
        const float den = dent[r];
        const float floorv = expf(-m);
        const float inv = 1.0f / (fmaxf(fabsf(den), floorv) + XLSTM_EPS);
        float dot = 0.0f;
        float qn = 0.0f;
        for (int d = 0; d < DH; ++d) {
            dot += dh[r * DH + d] * h[r * DH + d];
            qn += q[r * DH + d] * n0[d];
        }
        const float dd = fabsf(den) > floorv ? -dot * inv * (den > 0.0f ? 1.0f : -1.0f) : 0.0f;
        rdn[r] = inv;
        ddn[r] = dd;
        gq[r] = expf(bcum[r] + m0 - m) * dd * qn;
    }
}

// Assembles the gate gradients of one chunk from the partial sums of the backward passes:
//   db_j = gq_j + gb_j + sum_z gpb[z]_j   (+ the chunk-end terms at j = len-1)
//   da_s = ga_s + sum_z gpa[z]_s,  d igate_s = da_s,  db_s -= da_s (a = igate - b),
//   dlogF_r = sum_{j >= r in the chunk} db_j,  d fgate = dlogF sigmoid(-fgate).
// The chunk-end stabilizer term sum_s e-terms + u-term goes to b_L; for chunk 0 the same w- and
// u-terms form the gradient w.r.t. the initial stabilizer m0.
extern "C" __global__ void xlstm_mlstm_bwd_gates(const float* __restrict__ fgate, const float* __restrict__ mask,
                                                 const float* __restrict__ gq, const float* __restrict__ gb,
                                                 const float* __restrict__ ga, const float* __restrict__ gpb,
                                                 const float* __restrict__ gpa, const float* __restrict__ gpu,
                                                 float* __restrict__ dig, float* __restrict__ dfg,
                                                 float* __restrict__ dm_init, int NH, int T, int L, int NC,
                                                 int tiles) {
    __shared__ float db[XLSTM_MAX_CHUNK];
    __shared__ float da[XLSTM_MAX_CHUNK];
    __shared__ float ea[XLSTM_MAX_CHUNK];
    __shared__ float wsum[XLSTM_MAX_CHUNK];
    const int bh = blockIdx.x;
    const int c = blockIdx.y;
    const int t0 = c * L;
    const int len = min(L, T - t0);
    const long long row0 = (long long)bh * T + t0;
    const int tid = threadIdx.x;
    for (int j = tid; j < len; j += XLSTM_THREADS) {
        float pb = 0.0f;
        float pa = 0.0f;
        for (int z = 0; z < tiles; ++z) {
            pb += gpb[((long long)bh * tiles + z) * T + t0 + j];
            pa += gpa[((long long)bh * tiles + z) * T + t0 + j];
        }
        wsum[j] = gq[row0 + j] + pb;
        db[j] = wsum[j] + gb[row0 + j];
        ea[j] = pa;
        da[j] = ga[row0 + j] + pa;
    }
    XLSTM_SYNC(10);
    if (tid == 0) {
        float ut = 0.0f;
        for (int z = 0; z < tiles; ++z) ut += gpu[((long long)bh * tiles + z) * NC + c];
        float es = 0.0f;
        float ws = 0.0f;
        for (int s = 0; s < len; ++s) {
            es += ea[s];
            ws += wsum[s];
        }
        db[len - 1] += es + ut;
        if (c == 0 && dm_init) dm_init[bh] = ws + ut;
    }
    XLSTM_SYNC(11);
    for (int r = tid; r < len; r += XLSTM_THREADS) {
        const bool real = !mask || mask[(long long)(bh / NH) * T + t0 + r] != 0.0f;
        float dlogf = 0.0f;
        for (int j = r; j < len; ++j) dlogf += db[j] - da[j];
        dig[row0 + r] = real ? da[r] : 0.0f;
        dfg[row0 + r] = real ? dlogf * xlstm_sigmoid(-fgate[row0 + r]) : 0.0f;
    }
}
