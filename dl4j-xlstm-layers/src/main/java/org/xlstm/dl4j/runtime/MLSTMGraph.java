package org.xlstm.dl4j.runtime;

import java.util.Map;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ops.impl.controlflow.compat.StopGradient;

/**
 * The mLSTM layer as a SameDiff graph, with the cell in its parallel (quadratic in T) form: the independent
 * formulation the chunkwise runtime is tested against, differentiated by SameDiff's autodiff.
 */
final class MLSTMGraph {
    /** Added to the input-gate pre-activation of padded steps: exp of it is exactly 0 in every float type. */
    private static final double MASKED_GATE = -1e30;

    private MLSTMGraph() {
    }

    static SDVariable define(SameDiff sd, MLSTMShape s, String prefix, SDVariable x, Map<String, SDVariable> params,
                             SDVariable mask) {
        long d = s.inner;
        long nh = s.heads;
        long dh = s.headSize();
        long blocks = d / s.qkvBlockSize;
        SDVariable up = GraphOps.linear(sd, x, params.get(prefix + "upW"), s.bias ? params.get(prefix + "upB") : null);
        SDVariable xm = sd.stridedSlice(up, new long[] {0, 0, 0}, new long[] {0, 0, d}, new long[] {1, 1, 1}, 3, 3, 0, 0, 0);
        SDVariable z = sd.stridedSlice(up, new long[] {0, 0, d}, new long[] {0, 0, 2 * d}, new long[] {1, 1, 1}, 3, 3, 0, 0, 0);
        SDVariable maskBt1 = mask == null ? null : sd.expandDims(mask, 2);
        if (maskBt1 != null) {
            xm = xm.mul(maskBt1);
        }
        SDVariable convPre = s.convKernel > 0 ? GraphOps.causalConv(sd, xm, params.get(prefix + "convW"),
                params.get(prefix + "convB"), s.convKernel) : xm;
        SDVariable xc = GraphOps.silu(sd, convPre);
        SDVariable q = GraphOps.blockDiagonal(sd, xc, params.get(prefix + "qW"), s.bias ? params.get(prefix + "qB") : null,
                blocks, s.qkvBlockSize, s.qkvBlockSize);
        SDVariable k = GraphOps.blockDiagonal(sd, xc, params.get(prefix + "kW"), s.bias ? params.get(prefix + "kB") : null,
                blocks, s.qkvBlockSize, s.qkvBlockSize);
        SDVariable v = GraphOps.blockDiagonal(sd, xm, params.get(prefix + "vW"), s.bias ? params.get(prefix + "vB") : null,
                blocks, s.qkvBlockSize, s.qkvBlockSize);
        SDVariable qkv = sd.concat(2, q, k, v);
        SDVariable ig = GraphOps.linear(sd, qkv, params.get(prefix + "igateW"), params.get(prefix + "igateB"));
        SDVariable fg = GraphOps.linear(sd, qkv, params.get(prefix + "fgateW"), params.get(prefix + "fgateB"));

        // [B, T, NH] -> [B, NH, T]; [B, T, D] -> [B, NH, T, DH]
        SDVariable logF = sd.nn().logSigmoid(fg).permute(0, 2, 1);
        SDVariable iPre = ig.permute(0, 2, 1);
        if (mask != null) {
            SDVariable m = sd.expandDims(mask, 1);
            logF = logF.mul(m);
            iPre = iPre.add(m.sub(1.0).mul(-MASKED_GATE));
        }
        SDVariable h = parallelCell(sd, heads(q, nh, dh), heads(k, nh, dh), heads(v, nh, dh), iPre, logF, dh);
        SDVariable hRows = GraphOps.reshapeTime(sd, h.permute(0, 2, 1, 3), x, d);

        SDVariable normed = GraphOps.groupNorm(sd, hRows, params.get(prefix + "normW"), nh, d, MLSTMModule.NORM_EPS);
        SDVariable hSkip = normed.add(xc.mul(params.get(prefix + "skip").reshape(-1)));
        SDVariable out = hSkip.mul(GraphOps.silu(sd, z));
        SDVariable y = GraphOps.linear(sd, out, params.get(prefix + "downW"), s.bias ? params.get(prefix + "downB") : null);
        return maskBt1 == null ? y : y.mul(maskBt1);
    }

    private static SDVariable heads(SDVariable rows, long nh, long dh) {
        SameDiff sd = rows.getSameDiff();
        SDVariable bt = sd.slice(rows.shape(), new int[] {0}, 2);
        SDVariable shape = sd.concat(0, bt, sd.constant(org.nd4j.linalg.factory.Nd4j.createFromArray(nh, dh))
                .castTo(bt.dataType()));
        return sd.reshape(rows, shape).permute(0, 2, 1, 3);
    }

    /**
     * h_t = sum_s S_ts v_s / (max(|sum_s S_ts|, exp(-m_t)) + 1e-6) with S = (Q K^T / sqrt(DH)) * exp(log D - m),
     * log D_ts = F_t - F_s + i_s for s <= t, m_t = max(F_t, max_s log D_ts). F_t is the zero initial state's
     * log weight: with it, m_t is the stabilizer of the recurrent and chunkwise forms (so the floor and the
     * 1e-6 agree with them), and it stays finite on steps with no real step before them (masked prefix),
     * where exp(-m) would otherwise overflow and give NaN gradients.
     */
    private static SDVariable parallelCell(SameDiff sd, SDVariable q, SDVariable k, SDVariable v, SDVariable iPre,
                                           SDVariable logF, long dh) {
        SDVariable cumulative = sd.cumsum(logF, false, false, 2);
        SDVariable logD = sd.expandDims(cumulative, 3).sub(sd.expandDims(cumulative, 2)).add(sd.expandDims(iPre, 2));
        SDVariable causal = GraphOps.lowerTriangle(sd, iPre);
        logD = logD.mul(causal).add(causal.sub(1.0).mul(-MASKED_GATE));
        // the stabilizer is a constant for differentiation, as in the runtime and the official kernels; through
        // the 1e-6 in the normalizer it would otherwise add a ~1e-6 relative term to the gate gradients
        SDVariable m = new StopGradient(sd, sd.math().max(sd.max(logD, true, 3), sd.expandDims(cumulative, 3)))
                .outputVariable();
        SDVariable decay = sd.math().exp(logD.sub(m));
        SDVariable scores = sd.mmul(q, k, false, true, false).div(Math.sqrt(dh)).mul(decay);
        SDVariable normalizer = sd.math().max(sd.math().abs(scores.sum(true, 3)), sd.math().exp(m.neg())).add(1e-6);
        return sd.mmul(scores.div(normalizer), v);
    }
}
