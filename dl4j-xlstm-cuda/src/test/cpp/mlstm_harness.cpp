// CPU test harness: runs the CUDA kernels of src/main/cuda through the SIMT shim on .npy inputs.
//
//   mlstm_harness forward|backward|step DIR CHUNK
//
// Reads DIR/{q,k,v,ig,fg}.npy and the optional DIR/{mask,c0,n0,m0,dh}.npy; writes DIR/out_*.npy
// (backward writes the forward outputs too).
// Sequence shapes: q, k, v [B, NH, T, DH]; ig, fg [B, NH, T]; mask [B, T]; c0 [B, NH, DH, DH];
// n0 [B, NH, DH]; m0 [B, NH]; dh like q. Step shapes drop T. The launch sequence mirrors
// CudaMatrixMemoryKernel (org.xlstm.dl4j.cuda), which issues the same kernels on ND4J's stream.
#include "simt_shim.h"

#include "mlstm_common.cuh"
#include "mlstm_glue.cu"
#include "mlstm_forward.cu"
#include "mlstm_backward.cu"
#include "mlstm_step.cu"

#include "npy.h"

#include <filesystem>
#include <iostream>
#include <string>

namespace {

using Buf = std::vector<float>;

struct Inputs {
    NpyArray q, k, v, ig, fg;
    bool has_mask = false, has_init = false;
    NpyArray mask, c0, n0, m0, dh;
};

std::string file(const std::string& dir, const std::string& name) { return dir + "/" + name + ".npy"; }

bool exists(const std::string& dir, const std::string& name) { return std::filesystem::exists(file(dir, name)); }

const float* ptr_or_null(bool present, const NpyArray& a) { return present ? a.data.data() : nullptr; }

Inputs read_inputs(const std::string& dir, bool need_dh) {
    Inputs in;
    in.q = npy_read(file(dir, "q"));
    in.k = npy_read(file(dir, "k"));
    in.v = npy_read(file(dir, "v"));
    in.ig = npy_read(file(dir, "ig"));
    in.fg = npy_read(file(dir, "fg"));
    in.has_mask = exists(dir, "mask");
    if (in.has_mask) in.mask = npy_read(file(dir, "mask"));
    in.has_init = exists(dir, "c0");
    if (in.has_init) {
        in.c0 = npy_read(file(dir, "c0"));
        in.n0 = npy_read(file(dir, "n0"));
        in.m0 = npy_read(file(dir, "m0"));
    }
    if (need_dh) in.dh = npy_read(file(dir, "dh"));
    return in;
}

struct Sizes {
    int B, NH, T, DH, L, NC, BH, tiles;
};

// Everything the forward keeps for the backward (the Java launcher's residuals).
struct Forward {
    Buf bcum, acum, Cs, ns, ms, mt, dent, h, cf, nf, mf;
};

Forward run_forward(const Inputs& in, const Sizes& s) {
    Forward f;
    const long long rows = (long long)s.BH * s.T;
    f.bcum.resize(rows);
    f.acum.resize(rows);
    f.Cs.resize((long long)s.BH * s.NC * s.DH * s.DH);
    f.ns.resize((long long)s.BH * s.NC * s.DH);
    f.ms.resize((long long)s.BH * (s.NC + 1));
    f.mt.resize(rows);
    f.dent.resize(rows);
    f.h.resize(rows * s.DH);
    f.cf.resize((long long)s.BH * s.DH * s.DH);
    f.nf.resize((long long)s.BH * s.DH);
    f.mf.resize(s.BH);
    const float* mask = ptr_or_null(in.has_mask, in.mask);
    const dim3 block(XLSTM_THREADS);
    shim_launch(xlstm_mlstm_gates, dim3(s.BH, s.NC), block, in.ig.data.data(), in.fg.data.data(), mask,
                f.bcum.data(), f.acum.data(), s.NH, s.T, s.L);
    shim_launch(xlstm_mlstm_fwd_states, dim3(s.BH, s.tiles, s.tiles), block, in.k.data.data(), in.v.data.data(),
                (const float*)f.bcum.data(), (const float*)f.acum.data(), ptr_or_null(in.has_init, in.c0),
                ptr_or_null(in.has_init, in.n0), ptr_or_null(in.has_init, in.m0), f.Cs.data(), f.ns.data(),
                f.ms.data(), f.cf.data(), f.nf.data(), f.mf.data(), s.T, s.DH, s.L, s.NC);
    shim_launch(xlstm_mlstm_fwd_outputs, dim3(s.BH, s.NC), block, in.q.data.data(), in.k.data.data(),
                in.v.data.data(), mask, (const float*)f.bcum.data(), (const float*)f.acum.data(),
                (const float*)f.Cs.data(), (const float*)f.ns.data(), (const float*)f.ms.data(), f.h.data(),
                f.mt.data(), f.dent.data(), s.NH, s.T, s.DH, s.L, s.NC);
    return f;
}

void run_backward(const Inputs& in, const Sizes& s, const Forward& f, const std::string& dir) {
    const long long rows = (long long)s.BH * s.T;
    const long long elems = rows * s.DH;
    Buf rdn(rows), ddn(rows), gq(rows), gb(rows), ga(rows);
    Buf dCs(f.Cs.size()), dns(f.ns.size());
    Buf Sg((long long)s.BH * s.NC * s.L * s.L), dPg(Sg.size());
    Buf gpb((long long)s.BH * s.tiles * s.T), gpa(gpb.size()), gpu((long long)s.BH * s.tiles * s.NC);
    Buf dq(elems), dk(elems), dv(elems), dig(rows), dfg(rows);
    Buf dc0((long long)s.BH * s.DH * s.DH), dn0((long long)s.BH * s.DH), dm0(s.BH);
    const float* mask = ptr_or_null(in.has_mask, in.mask);
    const dim3 block(XLSTM_THREADS);
    const float* q = in.q.data.data();
    const float* k = in.k.data.data();
    const float* v = in.v.data.data();
    const float* dh = in.dh.data.data();
    shim_launch(xlstm_mlstm_bwd_prep, dim3(s.BH, s.NC), block, q, f.h.data(), dh, mask, f.bcum.data(),
                f.ns.data(), f.ms.data(), f.mt.data(), f.dent.data(), rdn.data(), ddn.data(), gq.data(),
                s.NH, s.T, s.DH, s.L, s.NC);
    shim_launch(xlstm_mlstm_bwd_states, dim3(s.BH, s.tiles, s.tiles), block, q, dh, f.bcum.data(), f.ms.data(),
                f.mt.data(), (const float*)rdn.data(), (const float*)ddn.data(), dCs.data(), dns.data(),
                in.has_init ? dc0.data() : nullptr, in.has_init ? dn0.data() : nullptr, s.T, s.DH, s.L, s.NC);
    shim_launch(xlstm_mlstm_bwd_scores, dim3(s.BH, s.NC), block, q, k, v, dh, f.bcum.data(), f.acum.data(),
                f.mt.data(), (const float*)rdn.data(), (const float*)ddn.data(), Sg.data(), dPg.data(), gb.data(),
                ga.data(), s.T, s.DH, s.L, s.NC);
    shim_launch(xlstm_mlstm_bwd_inputs, dim3(s.BH, s.NC, s.tiles), block, q, k, v, dh, f.bcum.data(),
                f.acum.data(), f.Cs.data(), f.ns.data(), f.ms.data(), f.mt.data(), (const float*)rdn.data(),
                (const float*)ddn.data(), (const float*)Sg.data(), (const float*)dPg.data(),
                (const float*)dCs.data(), (const float*)dns.data(), dq.data(), dk.data(), dv.data(), gpb.data(),
                gpa.data(), gpu.data(), s.T, s.DH, s.L, s.NC);
    shim_launch(xlstm_mlstm_bwd_gates, dim3(s.BH, s.NC), block, in.fg.data.data(), mask, (const float*)gq.data(),
                (const float*)gb.data(), (const float*)ga.data(), (const float*)gpb.data(), (const float*)gpa.data(),
                (const float*)gpu.data(), dig.data(), dfg.data(), in.has_init ? dm0.data() : nullptr, s.NH, s.T,
                s.L, s.NC, s.tiles);
    const std::vector<long long> seq = {s.B, s.NH, s.T, s.DH};
    const std::vector<long long> gate = {s.B, s.NH, s.T};
    npy_write(file(dir, "out_dq"), seq, dq.data());
    npy_write(file(dir, "out_dk"), seq, dk.data());
    npy_write(file(dir, "out_dv"), seq, dv.data());
    npy_write(file(dir, "out_dig"), gate, dig.data());
    npy_write(file(dir, "out_dfg"), gate, dfg.data());
    if (in.has_init) {
        npy_write(file(dir, "out_dc0"), {s.B, s.NH, s.DH, s.DH}, dc0.data());
        npy_write(file(dir, "out_dn0"), {s.B, s.NH, s.DH}, dn0.data());
        npy_write(file(dir, "out_dm0"), {s.B, s.NH}, dm0.data());
    }
}

void run_step(const std::string& dir) {
    const Inputs in = read_inputs(dir, false);
    const int B = in.q.dim(0), NH = in.q.dim(1), DH = in.q.dim(2), BH = B * NH;
    Buf zc((long long)BH * DH * DH), zn((long long)BH * DH), zm(BH);
    const float* c = in.has_init ? in.c0.data.data() : zc.data();
    const float* n = in.has_init ? in.n0.data.data() : zn.data();
    const float* m = in.has_init ? in.m0.data.data() : zm.data();
    Buf h((long long)BH * DH), cn(zc.size()), nn(zn.size()), mn(BH);
    shim_launch(xlstm_mlstm_step, dim3(BH, (DH + XLSTM_TILE - 1) / XLSTM_TILE), dim3(XLSTM_THREADS),
                in.q.data.data(), in.k.data.data(), in.v.data.data(), in.ig.data.data(), in.fg.data.data(),
                ptr_or_null(in.has_mask, in.mask), c, n, m, h.data(), cn.data(), nn.data(), mn.data(), NH, DH);
    npy_write(file(dir, "out_h"), {B, NH, DH}, h.data());
    npy_write(file(dir, "out_c"), {B, NH, DH, DH}, cn.data());
    npy_write(file(dir, "out_n"), {B, NH, DH}, nn.data());
    npy_write(file(dir, "out_m"), {B, NH}, mn.data());
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 4) {
        std::cerr << "usage: " << argv[0] << " forward|backward|step DIR CHUNK\n";
        return 2;
    }
    try {
        const std::string mode = argv[1];
        const std::string dir = argv[2];
        if (mode == "step") {
            run_step(dir);
            return 0;
        }
        if (mode != "forward" && mode != "backward") throw std::runtime_error("unknown mode " + mode);
        const Inputs in = read_inputs(dir, mode == "backward");
        Sizes s;
        s.B = in.q.dim(0);
        s.NH = in.q.dim(1);
        s.T = in.q.dim(2);
        s.DH = in.q.dim(3);
        // The chunk length is a hint capped by the compiled shared-memory layout and by T.
        s.L = std::max(1, std::min({std::atoi(argv[3]), XLSTM_MAX_CHUNK, s.T}));
        s.NC = (s.T + s.L - 1) / s.L;
        s.BH = s.B * s.NH;
        s.tiles = (s.DH + XLSTM_TILE - 1) / XLSTM_TILE;
        const Forward f = run_forward(in, s);
        npy_write(file(dir, "out_h"), {s.B, s.NH, s.T, s.DH}, f.h.data());
        npy_write(file(dir, "out_c"), {s.B, s.NH, s.DH, s.DH}, f.cf.data());
        npy_write(file(dir, "out_n"), {s.B, s.NH, s.DH}, f.nf.data());
        npy_write(file(dir, "out_m"), {s.B, s.NH}, f.mf.data());
        if (mode == "backward") run_backward(in, s, f, dir);
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << "\n";
        return 1;
    }
}
