package org.xlstm.dl4j.kernel.portable;

/**
 * The official sLSTM recurrence (NX-AI xlstm, vanilla backend) in plain double loops, independent of ND4J:
 * the fresh-state rule applies when n is zero for the whole minibatch, R acts as h_{t-1}[g] . R[g] with R in
 * [NH, DH_in, 4, DH_out], and the gates are clipped with min(., 1) as in the original.
 */
final class ScalarMemoryReference {
    /** [B][T][NH*DH]. */
    final double[][][] h;
    /** Final h, c, n, m as [B][NH*DH]. */
    final double[][] finalH;
    final double[][] finalC;
    final double[][] finalN;
    final double[][] finalM;

    /**
     * @param preact [B][T][NH][4][DH]
     * @param r      [NH][DH][4][DH]
     * @param init   {h, c, n, m} each [B][NH*DH], or null for zeros
     */
    ScalarMemoryReference(double[][][][][] preact, double[][][][] r, double[][][] init) {
        int batch = preact.length, time = preact[0].length, heads = preact[0][0].length, size = preact[0][0][0][0].length;
        int units = heads * size;
        double[][] hs = new double[batch][units], cs = new double[batch][units], ns = new double[batch][units],
                ms = new double[batch][units];
        if (init != null) {
            for (int b = 0; b < batch; b++) {
                hs[b] = init[0][b].clone();
                cs[b] = init[1][b].clone();
                ns[b] = init[2][b].clone();
                ms[b] = init[3][b].clone();
            }
        }
        h = new double[batch][time][units];
        for (int t = 0; t < time; t++) {
            boolean allZero = true;
            for (double[] row : ns) {
                for (double v : row) {
                    allZero &= v == 0.0;
                }
            }
            double[][] nextH = new double[batch][units];
            for (int b = 0; b < batch; b++) {
                for (int g = 0; g < heads; g++) {
                    for (int j = 0; j < size; j++) {
                        double[] raw = new double[4];
                        for (int gate = 0; gate < 4; gate++) {
                            double s = preact[b][t][g][gate][j];
                            for (int k = 0; k < size; k++) {
                                s += hs[b][g * size + k] * r[g][k][gate][j];
                            }
                            raw[gate] = s;
                        }
                        int u = g * size + j;
                        double logFPlusM = ms[b][u] + logSigmoid(raw[1]);
                        double mNew = allZero ? raw[0] : Math.max(raw[0], logFPlusM);
                        double i = Math.min(Math.exp(raw[0] - mNew), 1.0);
                        double f = Math.min(Math.exp(logFPlusM - mNew), 1.0);
                        double o = 1.0 / (1.0 + Math.exp(-raw[3]));
                        cs[b][u] = f * cs[b][u] + i * Math.tanh(raw[2]);
                        ns[b][u] = f * ns[b][u] + i;
                        ms[b][u] = mNew;
                        nextH[b][u] = o * cs[b][u] / ns[b][u];
                        h[b][t][u] = nextH[b][u];
                    }
                }
            }
            hs = nextH;
        }
        finalH = hs;
        finalC = cs;
        finalN = ns;
        finalM = ms;
    }

    private static double logSigmoid(double x) {
        return x >= 0 ? -Math.log1p(Math.exp(-x)) : x - Math.log1p(Math.exp(x));
    }
}
