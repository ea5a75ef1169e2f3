// Chunkwise mLSTM backward (every stabilizer m treated as a constant), three passes after
// xlstm_mlstm_bwd_prep and before xlstm_mlstm_bwd_gates:
//  1. xlstm_mlstm_bwd_states: the sequential part, mirror of the forward state pass. One block per
//     (b*h, key tile, value tile) walks the chunks backwards carrying dC (and dn), storing the gradient that
//     arrives at the end of every chunk (dCs, dns) and finally the gradient w.r.t. the initial state.
//  2. xlstm_mlstm_bwd_scores: one block per (b*h, chunk): S, dP = dS * E and the intra-chunk gate terms.
//  3. xlstm_mlstm_bwd_inputs: one block per (b*h, chunk, head-dim tile): dq, dk, dv for one column tile
//     and per-tile partial sums of the gate terms (summed by xlstm_mlstm_bwd_gates, deterministically).
// Notation as in the forward; dnum_j = dh_j * rdn_j, dden_j = ddn_j; Sg, dPg [B*NH, NC, L, L].

extern "C" __global__ void xlstm_mlstm_bwd_states(const float* __restrict__ q, const float* __restrict__ dh,
                                                  const float* __restrict__ bcum, const float* __restrict__ ms,
                                                  const float* __restrict__ mt, const float* __restrict__ rdn,
                                                  const float* __restrict__ ddn, float* __restrict__ dCs,
                                                  float* __restrict__ dns, float* __restrict__ dc_init,
                                                  float* __restrict__ dn_init, int T, int DH, int L, int NC) {
    __shared__ float shA[XLSTM_STAGE];
    __shared__ float shB[XLSTM_STAGE];
    __shared__ float wr[XLSTM_MAX_CHUNK];
    __shared__ float wd[XLSTM_MAX_CHUNK];
    constexpr int PER = XLSTM_TILE * XLSTM_TILE / XLSTM_THREADS;
    const int tid = threadIdx.x;
    const int bh = blockIdx.x;
    const int k0 = blockIdx.y * XLSTM_TILE;
    const int v0 = blockIdx.z * XLSTM_TILE;
    const int mk = min(XLSTM_TILE, DH - k0);
    const int mv = min(XLSTM_TILE, DH - v0);
    const bool owns_n = blockIdx.z == 0 && tid < mk;

    float acc[PER];
    for (int r = 0; r < PER; ++r) acc[r] = 0.0f;  // the final state receives no gradient
    float dnreg = 0.0f;

    for (int c = NC - 1; c >= 0; --c) {
        const int t0 = c * L;
        const int len = min(L, T - t0);
        const long long row0 = (long long)bh * T + t0;
        const long long sbase = ((long long)bh * NC + c) * DH;
        for (int r = 0; r < PER; ++r) {
            const int el = tid + r * XLSTM_THREADS;
            const int i = el / XLSTM_TILE;
            const int j = el % XLSTM_TILE;
            if (i < mk && j < mv) dCs[(sbase + k0 + i) * DH + v0 + j] = acc[r];
        }
        if (owns_n) dns[sbase + k0 + tid] = dnreg;

        const float m0 = ms[(long long)bh * (NC + 1) + c];
        const float mend = ms[(long long)bh * (NC + 1) + c + 1];
        const float u = expf(bcum[row0 + len - 1] + m0 - mend);
        for (int j = tid; j < len; j += XLSTM_THREADS) {
            const float wj = expf(bcum[row0 + j] + m0 - mt[row0 + j]);
            wr[j] = wj * rdn[row0 + j];
            wd[j] = wj * ddn[row0 + j];
        }
        XLSTM_SYNC(40);

        for (int r = 0; r < PER; ++r) acc[r] *= u;
        // dC0[kd][vd] += sum_j (w_j q_j)[kd] dnum_j[vd]
        tile_mma<XLSTM_TILE, XLSTM_TILE>(acc, q + row0 * DH + k0, 1, DH, wr, dh + row0 * DH + v0, DH, 1,
                                         mk, mv, len, shA, shB);
        if (owns_n) {
            float s = 0.0f;
            for (int j = 0; j < len; ++j) s += wd[j] * q[(row0 + j) * DH + k0 + tid];
            dnreg = u * dnreg + s;
        }
        XLSTM_SYNC(41);  // wr and wd are rewritten by the next chunk
    }

    if (dc_init) {
        for (int r = 0; r < PER; ++r) {
            const int el = tid + r * XLSTM_THREADS;
            const int i = el / XLSTM_TILE;
            const int j = el % XLSTM_TILE;
            if (i < mk && j < mv) dc_init[((long long)bh * DH + k0 + i) * DH + v0 + j] = acc[r];
        }
    }
    if (owns_n && dn_init) dn_init[(long long)bh * DH + k0 + tid] = dnreg;
}

// P = Q K'^T, R = dNum V^T; E_js = exp(b_j + a_s - m_j) (s <= j); S = P E; dS = R + dden_j;
// dP = dS E; dlogD = dS S with row sums -> gb (d b_j) and column sums -> ga (d a_s).
extern "C" __global__ void xlstm_mlstm_bwd_scores(const float* __restrict__ q, const float* __restrict__ k,
                                                  const float* __restrict__ v, const float* __restrict__ dh,
                                                  const float* __restrict__ bcum, const float* __restrict__ acum,
                                                  const float* __restrict__ mt, const float* __restrict__ rdn,
                                                  const float* __restrict__ ddn, float* __restrict__ Sg,
                                                  float* __restrict__ dPg, float* __restrict__ gb,
                                                  float* __restrict__ ga, int T, int DH, int L, int NC) {
    __shared__ float shA[XLSTM_STAGE];
    __shared__ float shB[XLSTM_STAGE];
    __shared__ float D[XLSTM_MAX_CHUNK * XLSTM_MAX_CHUNK];
    __shared__ float b[XLSTM_MAX_CHUNK];
    __shared__ float a[XLSTM_MAX_CHUNK];
    constexpr int PS = XLSTM_MAX_CHUNK * XLSTM_MAX_CHUNK / XLSTM_THREADS;
    const int tid = threadIdx.x;
    const int bh = blockIdx.x;
    const int c = blockIdx.y;
    const int t0 = c * L;
    const int len = min(L, T - t0);
    const long long row0 = (long long)bh * T + t0;
    const long long pbase = ((long long)bh * NC + c) * L * L;
    const float scale = 1.0f / sqrtf((float)DH);

    load_chunk_gates(bcum, acum, row0, len, b, a);
    float P[PS];
    float R[PS];
    for (int r = 0; r < PS; ++r) {
        P[r] = 0.0f;
        R[r] = 0.0f;
    }
    // tile_mma synchronises before reading shared memory, which also publishes b and a.
    tile_mma<XLSTM_MAX_CHUNK, XLSTM_MAX_CHUNK>(P, q + row0 * DH, DH, 1, nullptr, k + row0 * DH, 1, DH,
                                               len, len, DH, shA, shB);
    tile_mma<XLSTM_MAX_CHUNK, XLSTM_MAX_CHUNK>(R, dh + row0 * DH, DH, 1, nullptr, v + row0 * DH, 1, DH,
                                               len, len, DH, shA, shB);
    for (int r = 0; r < PS; ++r) {
        const int el = tid + r * XLSTM_THREADS;
        const int j = el / XLSTM_MAX_CHUNK;
        const int s = el % XLSTM_MAX_CHUNK;
        float dl = 0.0f;
        if (j < len && s < len) {
            float sv = 0.0f;
            float dp = 0.0f;
            if (s <= j) {
                const float E = expf(b[j] + a[s] - mt[row0 + j]);
                const float dS = R[r] * rdn[row0 + j] + ddn[row0 + j];
                sv = P[r] * scale * E;
                dp = dS * E;
                dl = dS * sv;
            }
            Sg[pbase + j * L + s] = sv;
            dPg[pbase + j * L + s] = dp;
        }
        D[el] = dl;
    }
    XLSTM_SYNC(50);
    for (int j = tid; j < len; j += XLSTM_THREADS) {
        float rs = 0.0f;
        float cs = 0.0f;
        for (int s = 0; s < len; ++s) {
            rs += D[j * XLSTM_MAX_CHUNK + s];
            cs += D[s * XLSTM_MAX_CHUNK + j];
        }
        gb[row0 + j] = rs;
        ga[row0 + j] = cs;
    }
}

// For the head-dim columns [d0, d0 + TILE):
//   dq = dP K' + w (dNum C0^T + dden n0^T)
//   dk = (dP^T Q + e (V dC_L^T + dn_L^T)) / sqrt(DH)
//   dv = S^T dNum + e K' dC_L
// and per-tile partial gate terms: gpb_j = w_j q_j . (C0 dnum_j), gpa_s = e_s k'_s . (dC_L v_s + dn_L),
// gpu = u (<dC_L, C0> + dn_L . n0) over the tile's key rows.
extern "C" __global__ void xlstm_mlstm_bwd_inputs(const float* __restrict__ q, const float* __restrict__ k,
                                                  const float* __restrict__ v, const float* __restrict__ dh,
                                                  const float* __restrict__ bcum, const float* __restrict__ acum,
                                                  const float* __restrict__ Cs, const float* __restrict__ ns,
                                                  const float* __restrict__ ms, const float* __restrict__ mt,
                                                  const float* __restrict__ rdn, const float* __restrict__ ddn,
                                                  const float* __restrict__ Sg, const float* __restrict__ dPg,
                                                  const float* __restrict__ dCs, const float* __restrict__ dns,
                                                  float* __restrict__ dq, float* __restrict__ dk,
                                                  float* __restrict__ dv, float* __restrict__ gpb,
                                                  float* __restrict__ gpa, float* __restrict__ gpu,
                                                  int T, int DH, int L, int NC) {
    __shared__ float shA[XLSTM_STAGE];
    __shared__ float shB[XLSTM_STAGE];
    __shared__ float prod[XLSTM_MAX_CHUNK * XLSTM_TILE];
    __shared__ float red[XLSTM_THREADS];
    __shared__ float w[XLSTM_MAX_CHUNK];
    __shared__ float e[XLSTM_MAX_CHUNK];
    __shared__ float rd[XLSTM_MAX_CHUNK];
    constexpr int PH = XLSTM_MAX_CHUNK * XLSTM_TILE / XLSTM_THREADS;
    const int tid = threadIdx.x;
    const int bh = blockIdx.x;
    const int c = blockIdx.y;
    const int z = blockIdx.z;
    const int tiles = gridDim.z;
    const int d0 = z * XLSTM_TILE;
    const int nd = min(XLSTM_TILE, DH - d0);
    const int t0 = c * L;
    const int len = min(L, T - t0);
    const long long row0 = (long long)bh * T + t0;
    const long long pbase = ((long long)bh * NC + c) * L * L;
    const long long sbase = ((long long)bh * NC + c) * DH;
    const float* C0 = Cs + sbase * DH;
    const float* dCL = dCs + sbase * DH;
    const float* n0 = ns + sbase;
    const float* dnL = dns + sbase;
    const float m0 = ms[(long long)bh * (NC + 1) + c];
    const float mend = ms[(long long)bh * (NC + 1) + c + 1];
    const float bL = bcum[row0 + len - 1];
    const float u = expf(bL + m0 - mend);
    const float scale = 1.0f / sqrtf((float)DH);
    const long long gp = ((long long)bh * tiles + z) * T + t0;

    for (int j = tid; j < len; j += XLSTM_THREADS) {
        w[j] = expf(bcum[row0 + j] + m0 - mt[row0 + j]);
        e[j] = expf(bL + acum[row0 + j] - mend);
        rd[j] = rdn[row0 + j];
    }

    // ---- dq ----
    float X[PH];
    float Y[PH];
    for (int r = 0; r < PH; ++r) {
        X[r] = 0.0f;
        Y[r] = 0.0f;
    }
    // X = dh C0^T on the tile's key columns: B(p = vd, j = kd) = C0[kd][vd].
    tile_mma<XLSTM_MAX_CHUNK, XLSTM_TILE>(X, dh + row0 * DH, DH, 1, nullptr, C0 + (long long)d0 * DH, 1, DH,
                                          len, nd, DH, shA, shB);
    tile_mma<XLSTM_MAX_CHUNK, XLSTM_TILE>(Y, dPg + pbase, L, 1, nullptr, k + row0 * DH + d0, DH, 1,
                                          len, nd, len, shA, shB);
    for (int r = 0; r < PH; ++r) {
        const int el = tid + r * XLSTM_THREADS;
        const int j = el / XLSTM_TILE;
        const int d = el % XLSTM_TILE;
        float pr = 0.0f;
        if (j < len && d < nd) {
            const float xn = X[r] * rd[j];  // (C0 dnum_j)[kd]
            pr = w[j] * q[(row0 + j) * DH + d0 + d] * xn;
            dq[(row0 + j) * DH + d0 + d] = Y[r] * scale + w[j] * (xn + ddn[row0 + j] * n0[d0 + d]);
        }
        prod[el] = pr;
    }
    XLSTM_SYNC(60);
    for (int j = tid; j < len; j += XLSTM_THREADS) {
        float s = 0.0f;
        for (int d = 0; d < nd; ++d) s += prod[j * XLSTM_TILE + d];
        gpb[gp + j] = s;
    }

    // ---- dk ----
    for (int r = 0; r < PH; ++r) {
        X[r] = 0.0f;
        Y[r] = 0.0f;
    }
    // X = V dC_L^T on the tile's key columns: B(p = vd, j = kd) = dC_L[kd][vd].
    tile_mma<XLSTM_MAX_CHUNK, XLSTM_TILE>(X, v + row0 * DH, DH, 1, nullptr, dCL + (long long)d0 * DH, 1, DH,
                                          len, nd, DH, shA, shB);
    // Y = dP^T Q: A(i = s, p = j) = dP[j][s].
    tile_mma<XLSTM_MAX_CHUNK, XLSTM_TILE>(Y, dPg + pbase, 1, L, nullptr, q + row0 * DH + d0, DH, 1,
                                          len, nd, len, shA, shB);
    for (int r = 0; r < PH; ++r) {
        const int el = tid + r * XLSTM_THREADS;
        const int s = el / XLSTM_TILE;
        const int d = el % XLSTM_TILE;
        float pr = 0.0f;
        if (s < len && d < nd) {
            const float xs = X[r] + dnL[d0 + d];  // (dC_L v_s + dn_L)[kd]
            pr = e[s] * scale * k[(row0 + s) * DH + d0 + d] * xs;
            dk[(row0 + s) * DH + d0 + d] = (Y[r] + e[s] * xs) * scale;
        }
        prod[el] = pr;
    }
    XLSTM_SYNC(61);
    for (int s = tid; s < len; s += XLSTM_THREADS) {
        float acc = 0.0f;
        for (int d = 0; d < nd; ++d) acc += prod[s * XLSTM_TILE + d];
        gpa[gp + s] = acc;
    }

    // ---- dv ----
    for (int r = 0; r < PH; ++r) {
        X[r] = 0.0f;
        Y[r] = 0.0f;
    }
    // X = S^T dNum: A(i = s, p = j) = S[j][s] scaled by rdn_j.
    tile_mma<XLSTM_MAX_CHUNK, XLSTM_TILE>(X, Sg + pbase, 1, L, rd, dh + row0 * DH + d0, DH, 1,
                                          len, nd, len, shA, shB);
    // Y = K dC_L[:, tile]
    tile_mma<XLSTM_MAX_CHUNK, XLSTM_TILE>(Y, k + row0 * DH, DH, 1, nullptr, dCL + d0, DH, 1,
                                          len, nd, DH, shA, shB);
    for (int r = 0; r < PH; ++r) {
        const int el = tid + r * XLSTM_THREADS;
        const int s = el / XLSTM_TILE;
        const int d = el % XLSTM_TILE;
        if (s < len && d < nd) dv[(row0 + s) * DH + d0 + d] = X[r] + e[s] * scale * Y[r];
    }

    // ---- chunk-end term over the tile's key rows: u (<dC_L, C0> + dn_L . n0) ----
    float part = 0.0f;
    for (int idx = tid; idx < nd * DH; idx += XLSTM_THREADS) {
        const long long off = (long long)d0 * DH + idx;
        part += dCL[off] * C0[off];
    }
    if (tid < nd) part += dnL[d0 + tid] * n0[d0 + tid];
    const float total = block_sum(part, red);
    if (tid == 0) gpu[((long long)bh * tiles + z) * NC + c] = u * total;
}
