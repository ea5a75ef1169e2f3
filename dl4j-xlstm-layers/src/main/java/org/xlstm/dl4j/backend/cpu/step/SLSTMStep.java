package org.xlstm.dl4j.backend.cpu.step;

import java.util.Map;

import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.xlstm.dl4j.kernel.ScalarMemoryKernel;
import org.xlstm.dl4j.backend.cpu.HostArrays;
import org.xlstm.dl4j.runtime.MLSTMModule;
import org.xlstm.dl4j.runtime.SLSTMModule;
import org.xlstm.dl4j.runtime.SLSTMShape;

/**
 * Step form of {@link SLSTMModule}: conv branch for the i and f gates, the four gate projections and the
 * block-diagonal recurrence R h_{t-1} by BLAS, the scalar-memory update of {@link ScalarMemoryKernel} per
 * unit, per-head norm.
 */
final class SLSTMStep implements TokenStep {
    /** The gate parameters in the pre-activation order i, f, z, o; i and f read the conv branch. */
    private static final String[] GATES = {"iW", "fW", "zW", "oW"};

    private final int nIn, d, heads, dh;
    private final boolean headwise;
    private final ConvStep conv;
    private final LiveParam[] gateWeights = new LiveParam[4];
    private final LiveParam recurrentWeights, bias, normW;
    private final float[] biasValues, normWeights;
    /** One unit's raw gates i, f, z, o. */
    private final float[] raw = new float[4];
    private final NativeScratch nativeX = new NativeScratch(), nativeXc = new NativeScratch(),
            nativeGates = new NativeScratch(), nativeRecurrent = new NativeScratch();
    private int batch = -1;
    private float[] xc, gates, recurrent, h, c, n, m;

    SLSTMStep(SLSTMShape shape) {
        this.nIn = (int) shape.nIn;
        this.d = (int) shape.hidden;
        this.heads = shape.heads;
        this.dh = (int) shape.headSize();
        this.headwise = shape.headwise;
        this.conv = shape.convKernel > 0 ? new ConvStep(shape.convKernel, nIn, "convW", "convB", "conv") : null;
        for (int g = 0; g < 4; g++) {
            gateWeights[g] = new LiveParam(GATES[g]);
        }
        recurrentWeights = new LiveParam("R");
        bias = new LiveParam("b");
        normW = new LiveParam("gnW");
        biasValues = new float[4 * d];
        normWeights = new float[d];
    }

    @Override
    public void declareState(int batch, Map<String, long[]> shapes) {
        if (conv != null) {
            conv.declareState(batch, shapes);
        }
        for (String key : new String[] {"h", "c", "n", "m"}) {
            shapes.put(key, new long[] {batch, d});
        }
    }

    private void size(int rows) {
        if (rows != batch) {
            batch = rows;
            xc = new float[rows * nIn];
            gates = new float[4 * rows * d];
            recurrent = new float[rows * 4 * d];
            h = new float[rows * d];
            c = new float[rows * d];
            n = new float[rows * d];
            m = new float[rows * d];
        }
    }

    @Override
    public void step(Map<String, INDArray> params, float[] x, float[] y, int rows, StepState state) {
        size(rows);
        FloatPointer raw = nativeX.load(x, rows * nIn);
        FloatPointer convolved = raw;
        if (conv != null) {
            conv.step(params, x, 0, nIn, xc, rows, state);
            convolved = nativeXc.load(xc, rows * nIn);
        }
        FloatPointer gateOut = nativeGates.of(4L * rows * d);
        for (int g = 0; g < 4; g++) {
            project(gateWeights[g].pointer(params), g < 2 ? convolved : raw, gateOut, (long) g * rows * d, rows);
        }
        HostArrays.read(gateOut, 0, gates, 0, gates.length);

        // R h_{t-1} per head: R[head] is [DH_in, 4*DH_out], the gates of a head side by side
        FloatPointer r = recurrentWeights.pointer(params);
        FloatPointer previous = state.pointer("h");
        FloatPointer recurrentOut = nativeRecurrent.of((long) rows * 4 * d);
        for (int row = 0; row < rows; row++) {
            for (int head = 0; head < heads; head++) {
                Blas.vectorTimesMatrix(previous, (long) row * d + head * dh, r, (long) head * dh * 4 * dh,
                        recurrentOut, ((long) row * heads + head) * 4 * dh, dh, 4 * dh);
            }
        }
        HostArrays.read(recurrentOut, 0, recurrent, 0, recurrent.length);

        bias.read(params, biasValues);
        state.read("c", c);
        state.read("n", n);
        state.read("m", m);
        for (int row = 0; row < rows; row++) {
            for (int head = 0; head < heads; head++) {
                for (int u = 0; u < dh; u++) {
                    cell(row, head, u);
                }
            }
        }
        state.write("h", h);
        state.write("c", c);
        state.write("n", n);
        state.write("m", m);

        normW.read(params, normWeights);
        for (int row = 0; row < rows; row++) {
            StepMath.groupNorm(h, row * d, normWeights, heads, d, MLSTMModule.NORM_EPS, y, row * d);
        }
    }

    /** Gate pre-activations of one gate for all rows, [B, D]: head-wise block-diagonal or dense. */
    private void project(FloatPointer w, FloatPointer x, FloatPointer out, long outAt, int rows) {
        if (!headwise) {
            Blas.rowsTimesMatrix(x, 0, w, 0, out, outAt, rows, nIn, d);
            return;
        }
        for (int row = 0; row < rows; row++) {
            for (int head = 0; head < heads; head++) {
                Blas.matrixTimesVector(w, (long) head * dh * dh, x, (long) row * nIn + head * dh,
                        out, outAt + (long) row * d + head * dh, dh, dh);
            }
        }
    }

    /**
     * One unit of {@link ScalarMemoryKernel}'s recurrence. A unit with n = 0 has seen nothing and starts
     * fresh (stabilizer i, forget gate 0), as the kernel's stand-in stabilizer makes it; a unit's reported
     * m is 0 until then.
     */
    private void cell(int row, int head, int u) {
        int unit = row * d + head * dh + u;
        int rec = (row * heads + head) * 4 * dh + u;
        int b = head * 4 * dh + u;
        int column = head * dh + u;
        for (int g = 0; g < 4; g++) {
            raw[g] = (gates[(g * batch + row) * d + column] + biasValues[b + g * dh]) + recurrent[rec + g * dh];
        }
        boolean fresh = n[unit] == 0f;
        float decayed = (float) (StepMath.logSigmoid(raw[1]) + m[unit]);
        float stabilizer = fresh ? raw[0] : Math.max(raw[0], decayed);
        float input = (float) Math.exp(raw[0] - stabilizer);
        float forget = fresh ? 0f : (float) Math.exp(decayed - stabilizer);
        float cellInput = (float) Math.tanh(raw[2]);
        c[unit] = c[unit] * forget + cellInput * input;
        n[unit] = n[unit] * forget + input;
        h[unit] = c[unit] / n[unit] * StepMath.sigmoid(raw[3]);
        m[unit] = n[unit] != 0f ? stabilizer : 0f;
    }
}
