package org.xlstm.dl4j.cuda;

/**
 * Float64 reference of the mLSTM cell in its recurrent step form (the equations of MatrixMemoryKernel),
 * with plain loops, and its exact backward through time with every stabilizer m_t treated as a constant
 * (the convention of the kernels: identical to the true gradient wherever the normalizer floor is not
 * active, up to the eps term). The gradient w.r.t. the initial m is the derivative through the first real
 * step's forget factor exp(logF + m_0 - m_1).
 */
final class ReferenceMlstm {

    /** Outputs and, for backward, gradients (null where not computed). */
    static final class Result {
        double[] h, c, n, m;
        double[] dq, dk, dv, dig, dfg, dc0, dn0, dm0;
    }

    private ReferenceMlstm() {
    }

    static Result run(MlstmCase x, boolean backward) {
        int b = x.b, nh = x.nh, t = x.t, dh = x.dh;
        double scale = 1.0 / Math.sqrt(dh);
        Result r = new Result();
        r.h = new double[b * nh * t * dh];
        r.c = new double[b * nh * dh * dh];
        r.n = new double[b * nh * dh];
        r.m = new double[b * nh];
        if (backward) {
            r.dq = new double[r.h.length];
            r.dk = new double[r.h.length];
            r.dv = new double[r.h.length];
            r.dig = new double[b * nh * t];
            r.dfg = new double[b * nh * t];
            r.dc0 = new double[r.c.length];
            r.dn0 = new double[r.n.length];
            r.dm0 = new double[r.m.length];
        }
        for (int bb = 0; bb < b; bb++) {
            for (int hh = 0; hh < nh; hh++) {
                int bh = bb * nh + hh;
                // Per-step tape: the state after each step and the step's scalars.
                double[][] cs = new double[t + 1][];
                double[][] ns = new double[t + 1][];
                double[] fp = new double[t], ip = new double[t], den = new double[t], dn = new double[t];
                double[] ms = new double[t + 1];
                boolean[] real = new boolean[t];
                cs[0] = x.c0 == null ? new double[dh * dh] : slice(x.c0, bh * dh * dh, dh * dh);
                ns[0] = x.n0 == null ? new double[dh] : slice(x.n0, bh * dh, dh);
                ms[0] = x.m0 == null ? 0 : x.m0[bh];
                for (int s = 0; s < t; s++) {
                    int g = bh * t + s;
                    int row = g * dh;
                    real[s] = x.mask == null || x.mask[bb * t + s] != 0;
                    double mPrev = ms[s];
                    if (real[s]) {
                        double lf = logSigmoid(x.fg[g]);
                        ms[s + 1] = Math.max(lf + mPrev, x.ig[g]);
                        fp[s] = Math.exp(lf + mPrev - ms[s + 1]);
                        ip[s] = Math.exp(x.ig[g] - ms[s + 1]);
                    } else {
                        ms[s + 1] = mPrev;
                        fp[s] = 1;
                        ip[s] = 0;
                    }
                    double[] c = new double[dh * dh];
                    double[] n = new double[dh];
                    for (int i = 0; i < dh; i++) {
                        double ki = x.k[row + i] * scale;
                        n[i] = fp[s] * ns[s][i] + ip[s] * ki;
                        for (int j = 0; j < dh; j++) c[i * dh + j] = fp[s] * cs[s][i * dh + j] + ip[s] * ki * x.v[row + j];
                    }
                    cs[s + 1] = c;
                    ns[s + 1] = n;
                    double d = 0;
                    for (int i = 0; i < dh; i++) d += n[i] * x.q[row + i];
                    den[s] = d;
                    dn[s] = Math.max(Math.abs(d), Math.exp(-ms[s + 1])) + 1e-6;
                    for (int j = 0; j < dh; j++) {
                        double num = 0;
                        for (int i = 0; i < dh; i++) num += c[i * dh + j] * x.q[row + i];
                        r.h[row + j] = real[s] ? num / dn[s] : 0;
                    }
                }
                System.arraycopy(cs[t], 0, r.c, bh * dh * dh, dh * dh);
                System.arraycopy(ns[t], 0, r.n, bh * dh, dh);
                r.m[bh] = ms[t];
                if (backward) backwardHead(x, r, bh, bb, cs, ns, ms, fp, ip, den, dn, real);
            }
        }
        return r;
    }

    private static void backwardHead(MlstmCase x, Result r, int bh, int bb, double[][] cs, double[][] ns,
                                     double[] ms, double[] fp, double[] ip, double[] den, double[] dn,
                                     boolean[] real) {
        int t = x.t, dh = x.dh;
        double scale = 1.0 / Math.sqrt(dh);
        double[] dC = new double[dh * dh];
        double[] dN = new double[dh];
        int firstReal = -1;
        for (int s = 0; s < t && firstReal < 0; s++) if (real[s]) firstReal = s;
        for (int s = t - 1; s >= 0; s--) {
            if (!real[s]) continue;  // the state passes through unchanged and the output is a constant 0
            int g = bh * t + s;
            int row = g * dh;
            double[] c = cs[s + 1], n = ns[s + 1], cPrev = cs[s], nPrev = ns[s];
            double dot = 0;
            for (int j = 0; j < dh; j++) dot += x.dhUp[row + j] * r.h[row + j];
            double dden = Math.abs(den[s]) > Math.exp(-ms[s + 1]) ? -dot / dn[s] * Math.signum(den[s]) : 0;
            double[] dnum = new double[dh];
            for (int j = 0; j < dh; j++) dnum[j] = x.dhUp[row + j] / dn[s];
            for (int i = 0; i < dh; i++) {
                double qi = x.q[row + i];
                for (int j = 0; j < dh; j++) dC[i * dh + j] += qi * dnum[j];
                dN[i] += dden * qi;
            }
            for (int i = 0; i < dh; i++) {
                double acc = dden * n[i];
                for (int j = 0; j < dh; j++) acc += c[i * dh + j] * dnum[j];
                r.dq[row + i] = acc;
            }
            double dfp = 0, dip = 0;
            for (int i = 0; i < dh; i++) {
                double ki = x.k[row + i] * scale;
                dfp += dN[i] * nPrev[i];
                dip += dN[i] * ki;
                double dcv = 0;
                for (int j = 0; j < dh; j++) {
                    dfp += dC[i * dh + j] * cPrev[i * dh + j];
                    dip += ki * dC[i * dh + j] * x.v[row + j];
                    dcv += dC[i * dh + j] * x.v[row + j];
                }
                r.dk[row + i] = ip[s] * (dcv + dN[i]) * scale;
            }
            for (int j = 0; j < dh; j++) {
                double acc = 0;
                for (int i = 0; i < dh; i++) acc += dC[i * dh + j] * x.k[row + i] * scale;
                r.dv[row + j] = ip[s] * acc;
            }
            r.dig[g] = dip * ip[s];
            r.dfg[g] = dfp * fp[s] * sigmoid(-x.fg[g]);
            if (s == firstReal) r.dm0[bh] = dfp * fp[s];
            for (int i = 0; i < dh * dh; i++) dC[i] *= fp[s];
            for (int i = 0; i < dh; i++) dN[i] *= fp[s];
        }
        System.arraycopy(dC, 0, r.dc0, bh * dh * dh, dh * dh);
        System.arraycopy(dN, 0, r.dn0, bh * dh, dh);
    }

    static double logSigmoid(double x) {
        return Math.min(x, 0) - Math.log1p(Math.exp(-Math.abs(x)));
    }

    static double sigmoid(double x) {
        return 1 / (1 + Math.exp(-x));
    }

    private static double[] slice(double[] a, int from, int len) {
        double[] out = new double[len];
        System.arraycopy(a, from, out, 0, len);
        return out;
    }
}
