package org.xlstm.dl4j.runtime;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;

/**
 * The sLSTM layer as a SameDiff graph, the recurrence unrolled over the time length known at definition
 * (SameDiff cannot differentiate through its loops): a reference for tests on short sequences.
 */
final class SLSTMGraph {

    private SLSTMGraph() {
    }

    static SDVariable define(SameDiff sd, SLSTMShape s, SDVariable x, Map<String, SDVariable> params, SDVariable mask) {
        long[] xShape = x.getShape();
        if (xShape == null) {
            // op outputs (the permuted layer input, the block's pre-norm) have no static shape in M2.1:
            // evaluate it, which needs the input to be a variable or constant rather than a placeholder
            xShape = x.shape().eval().toLongVector();
        }
        if (xShape.length != 3 || xShape[1] <= 0) {
            throw new IllegalArgumentException("SLSTM graph: the time length must be known when the graph is defined;"
                    + " got input shape " + java.util.Arrays.toString(xShape));
        }
        int time = (int) xShape[1];
        long d = s.hidden;
        long dh = s.headSize();
        SDVariable maskBt1 = mask == null ? null : sd.expandDims(mask, 2);
        SDVariable xc = x;
        if (s.convKernel > 0) {
            SDVariable xm = maskBt1 == null ? x : x.mul(maskBt1);
            xc = GraphOps.silu(sd, GraphOps.causalConv(sd, xm, params.get("convW"), params.get("convB"), s.convKernel));
        }
        SDVariable[] pre = {project(sd, s, xc, params.get("iW")), project(sd, s, xc, params.get("fW")),
                project(sd, s, x, params.get("zW")), project(sd, s, x, params.get("oW"))};
        SDVariable bias = params.get("b").reshape(s.heads, 4, dh);
        SDVariable recurrent = params.get("R").reshape(s.heads, dh, 4 * dh);

        SDVariable h = null;
        SDVariable c = null;
        SDVariable n = null;
        SDVariable m = null;
        List<SDVariable> outputs = new ArrayList<>();
        for (int t = 0; t < time; t++) {
            // gate pre-activations of step t: [B, NH, 4, DH]
            SDVariable[] gates = new SDVariable[4];
            for (int g = 0; g < 4; g++) {
                gates[g] = sd.slice(pre[g], new int[] {0, t, 0}, -1, 1, -1).reshape(-1, s.heads, 1, dh);
            }
            SDVariable raw = sd.concat(2, gates).add(bias);
            if (h != null) {
                SDVariable byHead = h.reshape(-1, s.heads, dh).permute(1, 0, 2);
                SDVariable mixed = sd.mmul(byHead, recurrent).permute(1, 0, 2).reshape(-1, s.heads, 4, dh);
                raw = raw.add(mixed);
            }
            SDVariable iRaw = gateSlice(sd, raw, 0, s.heads, dh);
            SDVariable fRaw = gateSlice(sd, raw, 1, s.heads, dh);
            SDVariable zRaw = gateSlice(sd, raw, 2, s.heads, dh);
            SDVariable oRaw = gateSlice(sd, raw, 3, s.heads, dh);
            SDVariable cNew;
            SDVariable nNew;
            SDVariable mNew;
            if (h == null) {
                // fresh state: m = i, so i' = 1 and the zero c, n contribute nothing
                mNew = iRaw;
                cNew = sd.math().tanh(zRaw);
                nNew = sd.onesLike(iRaw);
            } else {
                SDVariable logFPlusM = m.add(sd.nn().logSigmoid(fRaw));
                mNew = sd.math().max(iRaw, logFPlusM);
                SDVariable iGate = sd.math().exp(iRaw.sub(mNew));
                SDVariable fGate = sd.math().exp(logFPlusM.sub(mNew));
                cNew = fGate.mul(c).add(iGate.mul(sd.math().tanh(zRaw)));
                nNew = fGate.mul(n).add(iGate);
            }
            SDVariable hNew = sd.nn().sigmoid(oRaw).mul(cNew).div(nNew);
            if (mask != null) {
                SDVariable keep = sd.slice(mask, new int[] {0, t}, -1, 1).reshape(-1, 1, 1);
                if (h != null) {
                    SDVariable drop = keep.rsub(1.0);
                    cNew = cNew.mul(keep).add(c.mul(drop));
                    nNew = nNew.mul(keep).add(n.mul(drop));
                    mNew = mNew.mul(keep).add(m.mul(drop));
                    hNew = hNew.mul(keep).add(h.mul(drop));
                } else {
                    cNew = cNew.mul(keep);
                    nNew = nNew.mul(keep);
                    mNew = mNew.mul(keep);
                    hNew = hNew.mul(keep);
                }
                outputs.add(hNew.mul(keep).reshape(-1, 1, d));
            } else {
                outputs.add(hNew.reshape(-1, 1, d));
            }
            h = hNew;
            c = cNew;
            n = nNew;
            m = mNew;
        }
        SDVariable hs = sd.concat(1, outputs.toArray(new SDVariable[0]));
        SDVariable y = GraphOps.groupNorm(sd, hs, params.get("gnW"), s.heads, d, MLSTMModule.NORM_EPS);
        return maskBt1 == null ? y : y.mul(maskBt1);
    }

    /** Gate {@code gate} of raw [B, NH, 4, DH] as [B, NH, DH] (slice: M2.1's strided_slice_bp fails here). */
    private static SDVariable gateSlice(SameDiff sd, SDVariable raw, int gate, long heads, long dh) {
        return sd.slice(raw, new int[] {0, 0, gate, 0}, -1, -1, 1, -1).reshape(-1, heads, dh);
    }

    private static SDVariable project(SameDiff sd, SLSTMShape s, SDVariable x, SDVariable w) {
        long dh = s.headSize();
        return s.headwise ? GraphOps.blockDiagonal(sd, x, w, null, s.heads, dh, dh) : GraphOps.linear(sd, x, w, null);
    }
}
