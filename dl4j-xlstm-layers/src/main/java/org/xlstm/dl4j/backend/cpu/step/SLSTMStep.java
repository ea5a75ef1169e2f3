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
            nativeGates = new NativeScratch();
    private final ScalarMemoryRecurrence recurrence;
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
        recurrence = new ScalarMemoryRecurrence(heads, dh);
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

        recurrence.product(recurrentWeights.pointer(params), state.pointer("h"), rows, recurrent);

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

    /** One unit of {@link ScalarMemoryKernel}'s recurrence: its raw gates, then {@link ScalarMemoryRecurrence}. */
    private void cell(int row, int head, int u) {
        int unit = row * d + head * dh + u;
        int rec = (row * heads + head) * 4 * dh + u;
        int b = head * 4 * dh + u;
        int column = head * dh + u;
        for (int g = 0; g < 4; g++) {
            raw[g] = (gates[(g * batch + row) * d + column] + biasValues[b + g * dh]) + recurrent[rec + g * dh];
        }
        ScalarMemoryRecurrence.update(raw[0], raw[1], raw[2], raw[3], unit, h, c, n, m);
    }
}
