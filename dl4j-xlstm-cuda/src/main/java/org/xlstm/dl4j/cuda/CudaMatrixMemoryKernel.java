package org.xlstm.dl4j.cuda;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.Shape;
import org.nd4j.linalg.factory.Nd4j;
import org.xlstm.dl4j.kernel.MatrixMemoryForward;
import org.xlstm.dl4j.kernel.MatrixMemoryGradients;
import org.xlstm.dl4j.kernel.MatrixMemoryKernel;
import org.xlstm.dl4j.kernel.MatrixMemoryState;
import org.xlstm.dl4j.kernel.MatrixMemoryStep;

import java.util.Arrays;

import static org.xlstm.dl4j.cuda.CudaLauncher.out;

/**
 * The mLSTM matrix memory as fused CUDA kernels (src/main/cuda), run on ND4J-CUDA arrays on ND4J's stream.
 *
 * <p>Arithmetic is FP32: other floating-point types are cast on the way in and out. The chunk length is
 * {@code min(chunkSize, 64, T)} (64 is the compiled shared-memory layout). The forward keeps, per chunk, the
 * carried state (C, n, m) and per step m and the denominator; the backward recomputes the rest.
 */
public final class CudaMatrixMemoryKernel implements MatrixMemoryKernel {
    /** CUDA's limit on gridDim.y and gridDim.z, which count chunks and head-dim tiles. */
    private static final int MAX_GRID_YZ = 65535;

    /** Loads the kernels for the calling thread's device now, so that a load failure surfaces here. */
    public CudaMatrixMemoryKernel() {
        CudaKernelModule.forCurrentDevice();
    }

    @Override
    public String name() {
        return "cuda-fused";
    }

    /** Everything backward needs, kept from forward. */
    private static final class Residuals {
        final INDArray q, k, v, ig, fg, mask, h, bcum, acum, cs, ns, ms, mt, dent;
        final boolean hasInitial;
        final int chunk, chunks;
        final DataType type;

        Residuals(INDArray q, INDArray k, INDArray v, INDArray ig, INDArray fg, INDArray mask, INDArray h,
                  INDArray bcum, INDArray acum, INDArray cs, INDArray ns, INDArray ms, INDArray mt, INDArray dent,
                  boolean hasInitial, int chunk, int chunks, DataType type) {
            this.q = q;
            this.k = k;
            this.v = v;
            this.ig = ig;
            this.fg = fg;
            this.mask = mask;
            this.h = h;
            this.bcum = bcum;
            this.acum = acum;
            this.cs = cs;
            this.ns = ns;
            this.ms = ms;
            this.mt = mt;
            this.dent = dent;
            this.hasInitial = hasInitial;
            this.chunk = chunk;
            this.chunks = chunks;
            this.type = type;
        }
    }

    @Override
    public MatrixMemoryForward forward(INDArray q, INDArray k, INDArray v, INDArray igate, INDArray fgate,
                                       INDArray mask, MatrixMemoryState initial, int chunkSize) {
        DataType type = q.dataType();
        requireRank("q", q, 4, "[B, NH, T, DH]");
        int b = (int) q.size(0), nh = (int) q.size(1), t = (int) q.size(2), dh = (int) q.size(3);
        require("k", k, b, nh, t, dh);
        require("v", v, b, nh, t, dh);
        require("igate", igate, b, nh, t);
        require("fgate", fgate, b, nh, t);
        if (mask != null) require("mask", mask, b, t);
        if (initial != null) requireState(initial, b, nh, dh);
        int bh = b * nh;
        int chunk = Math.max(1, Math.min(Math.min(chunkSize, CudaKernelModule.MAX_CHUNK), t));
        int chunks = (t + chunk - 1) / chunk;
        int tiles = (dh + CudaKernelModule.TILE - 1) / CudaKernelModule.TILE;
        if (chunks > MAX_GRID_YZ || tiles > MAX_GRID_YZ) {
            throw new IllegalArgumentException("sequence too long for one launch: " + chunks + " chunks of " + chunk
                    + " (at most " + MAX_GRID_YZ + ")");
        }

        INDArray fq = dense(q), fk = dense(k), fv = dense(v), fi = dense(igate), ff = dense(fgate);
        INDArray fm = mask == null ? null : dense(mask);
        INDArray c0 = initial == null ? null : dense(initial.c);
        INDArray n0 = initial == null ? null : dense(initial.n);
        INDArray m0 = initial == null ? null : dense(initial.m);

        INDArray bcum = f32(b, nh, t), acum = f32(b, nh, t), mt = f32(b, nh, t), dent = f32(b, nh, t);
        INDArray cs = f32(b, nh, chunks, dh, dh), ns = f32(b, nh, chunks, dh), ms = f32(b, nh, chunks + 1);
        INDArray h = f32(b, nh, t, dh);
        INDArray cf = f32(b, nh, dh, dh), nf = f32(b, nh, dh), mf = f32(b, nh);

        CudaLauncher.launch("xlstm_mlstm_gates", bh, chunks, 1, fi, ff, fm, out(bcum), out(acum), nh, t, chunk);
        CudaLauncher.launch("xlstm_mlstm_fwd_states", bh, tiles, tiles, fk, fv, bcum, acum, c0, n0, m0, out(cs),
                out(ns), out(ms), out(cf), out(nf), out(mf), t, dh, chunk, chunks);
        CudaLauncher.launch("xlstm_mlstm_fwd_outputs", bh, chunks, 1, fq, fk, fv, fm, bcum, acum, cs, ns, ms, out(h),
                out(mt), out(dent), nh, t, dh, chunk, chunks);

        Residuals r = new Residuals(fq, fk, fv, fi, ff, fm, h, bcum, acum, cs, ns, ms, mt, dent, initial != null,
                chunk, chunks, type);
        return new MatrixMemoryForward(as(h, type), new MatrixMemoryState(as(cf, type), as(nf, type), as(mf, type)), r);
    }

    @Override
    public MatrixMemoryGradients backward(MatrixMemoryForward forward, INDArray dhIn) {
        if (!(forward.residuals instanceof Residuals)) {
            throw new IllegalArgumentException("backward needs the result of CudaMatrixMemoryKernel.forward");
        }
        Residuals r = (Residuals) forward.residuals;
        int b = (int) r.q.size(0), nh = (int) r.q.size(1), t = (int) r.q.size(2), dh = (int) r.q.size(3);
        int bh = b * nh;
        int tiles = (dh + CudaKernelModule.TILE - 1) / CudaKernelModule.TILE;
        int l = r.chunk, nc = r.chunks;
        require("dh", dhIn, b, nh, t, dh);
        INDArray g = dense(dhIn);

        INDArray rdn = f32(b, nh, t), ddn = f32(b, nh, t), gq = f32(b, nh, t), gb = f32(b, nh, t), ga = f32(b, nh, t);
        INDArray dcs = f32(b, nh, nc, dh, dh), dns = f32(b, nh, nc, dh);
        INDArray sg = f32(b, nh, nc, l, l), dpg = f32(b, nh, nc, l, l);
        INDArray gpb = f32(b, nh, tiles, t), gpa = f32(b, nh, tiles, t), gpu = f32(b, nh, tiles, nc);
        INDArray dq = f32(b, nh, t, dh), dk = f32(b, nh, t, dh), dv = f32(b, nh, t, dh);
        INDArray dig = f32(b, nh, t), dfg = f32(b, nh, t);
        INDArray dc0 = r.hasInitial ? f32(b, nh, dh, dh) : null;
        INDArray dn0 = r.hasInitial ? f32(b, nh, dh) : null;
        INDArray dm0 = r.hasInitial ? f32(b, nh) : null;

        CudaLauncher.launch("xlstm_mlstm_bwd_prep", bh, nc, 1, r.q, r.h, g, r.mask, r.bcum, r.ns, r.ms, r.mt, r.dent,
                out(rdn), out(ddn), out(gq), nh, t, dh, l, nc);
        CudaLauncher.launch("xlstm_mlstm_bwd_states", bh, tiles, tiles, r.q, g, r.bcum, r.ms, r.mt, rdn, ddn, out(dcs),
                out(dns), outOrNull(dc0), outOrNull(dn0), t, dh, l, nc);
        CudaLauncher.launch("xlstm_mlstm_bwd_scores", bh, nc, 1, r.q, r.k, r.v, g, r.bcum, r.acum, r.mt, rdn, ddn,
                out(sg), out(dpg), out(gb), out(ga), t, dh, l, nc);
        CudaLauncher.launch("xlstm_mlstm_bwd_inputs", bh, nc, tiles, r.q, r.k, r.v, g, r.bcum, r.acum, r.cs, r.ns, r.ms,
                r.mt, rdn, ddn, sg, dpg, dcs, dns, out(dq), out(dk), out(dv), out(gpb), out(gpa), out(gpu),
                t, dh, l, nc);
        CudaLauncher.launch("xlstm_mlstm_bwd_gates", bh, nc, 1, r.fg, r.mask, gq, gb, ga, gpb, gpa, gpu, out(dig),
                out(dfg), outOrNull(dm0), nh, t, l, nc, tiles);

        DataType type = r.type;
        MatrixMemoryState dInitial = r.hasInitial
                ? new MatrixMemoryState(as(dc0, type), as(dn0, type), as(dm0, type)) : null;
        return new MatrixMemoryGradients(as(dq, type), as(dk, type), as(dv, type), as(dig, type), as(dfg, type),
                dInitial);
    }

    @Override
    public MatrixMemoryStep step(INDArray q, INDArray k, INDArray v, INDArray igate, INDArray fgate, INDArray mask,
                                 MatrixMemoryState state) {
        DataType type = q.dataType();
        requireRank("q", q, 3, "[B, NH, DH]");
        int b = (int) q.size(0), nh = (int) q.size(1), dh = (int) q.size(2);
        require("k", k, b, nh, dh);
        require("v", v, b, nh, dh);
        require("igate", igate, b, nh);
        require("fgate", fgate, b, nh);
        if (mask != null) require("mask", mask, b);
        if (state != null) requireState(state, b, nh, dh);
        MatrixMemoryState s = state == null ? MatrixMemoryState.zeros(DataType.FLOAT, b, nh, dh) : state;
        INDArray h = f32(b, nh, dh), cn = f32(b, nh, dh, dh), nn = f32(b, nh, dh), mn = f32(b, nh);
        int tiles = (dh + CudaKernelModule.TILE - 1) / CudaKernelModule.TILE;
        CudaLauncher.launch("xlstm_mlstm_step", b * nh, tiles, 1, dense(q), dense(k), dense(v), dense(igate),
                dense(fgate), mask == null ? null : dense(mask), dense(s.c), dense(s.n), dense(s.m), out(h),
                out(cn), out(nn), out(mn), nh, dh);
        return new MatrixMemoryStep(as(h, type), new MatrixMemoryState(as(cn, type), as(nn, type), as(mn, type)));
    }

    private static void requireRank(String name, INDArray a, int rank, String layout) {
        if (a == null || a.rank() != rank) {
            throw new IllegalArgumentException(name + ": expected " + layout + ", got "
                    + (a == null ? "null" : Arrays.toString(a.shape())));
        }
    }

    /** The kernels index densely by these shapes; a mismatch would read out of bounds on the device. */
    private static void require(String name, INDArray a, long... shape) {
        if (a == null || !Arrays.equals(a.shape(), shape) || Arrays.stream(shape).anyMatch(d -> d < 1)) {
            throw new IllegalArgumentException(name + ": expected shape " + Arrays.toString(shape) + ", got "
                    + (a == null ? "null" : Arrays.toString(a.shape())));
        }
    }

    private static void requireState(MatrixMemoryState s, long b, long nh, long dh) {
        require("state c", s.c, b, nh, dh, dh);
        require("state n", s.n, b, nh, dh);
        require("state m", s.m, b, nh);
    }

    private static Object outOrNull(INDArray a) {
        return a == null ? null : out(a);
    }

    /** FP32, c-order, default strides: what the kernels index. Copies only when needed. */
    private static INDArray dense(INDArray a) {
        INDArray f = a.dataType() == DataType.FLOAT ? a : a.castTo(DataType.FLOAT);
        return f.ordering() == 'c' && Shape.hasDefaultStridesForShape(f) ? f : f.dup('c');
    }

    private static INDArray as(INDArray a, DataType type) {
        return a.dataType() == type ? a : a.castTo(type);
    }

    private static INDArray f32(long... shape) {
        return Nd4j.createUninitialized(DataType.FLOAT, shape);
    }
}
