package org.xlstm.dl4j.backend.cpu.step;

import java.util.Map;

import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.xlstm.dl4j.kernel.MatrixMemoryKernel;
import org.xlstm.dl4j.backend.cpu.HostArrays;
import org.xlstm.dl4j.runtime.MLSTMModule;
import org.xlstm.dl4j.runtime.MLSTMShape;

/**
 * Step form of {@link MLSTMModule}: up-projection, conv branch, block-diagonal q/k/v, scalar gates, one
 * matrix-memory update per head ({@link MatrixMemoryKernel}'s recurrence, with the memory C updated in
 * place by BLAS and read out as C^T q), per-head norm, skip, output gate, down-projection.
 */
final class MLSTMStep implements TokenStep {
    private final String prefix;
    private final int nIn, nOut, d, heads, dh, blockSize;
    private final ConvStep conv;
    private final StepLinear upProjection, downProjection;
    private final LiveParam qW, qB, kW, kB, vW, vB, igateW, igateB, fgateW, fgateB, skip, normW;
    private final float[] qWeights, kWeights, vWeights, qBias, kBias, vBias;
    private final float[] igateBias, fgateBias, skipWeights, normWeights, read;
    private final NativeScratch nativeQkv = new NativeScratch(), nativeIgate = new NativeScratch(), nativeFgate = new NativeScratch(),
            nativeRead = new NativeScratch();
    private int batch = -1;
    private float[] up, xc, qkv, igate, fgate, n, m, hCell, hOut;

    MLSTMStep(MLSTMShape shape, String prefix) {
        this.prefix = prefix;
        this.nIn = (int) shape.nIn;
        this.nOut = (int) shape.nOut;
        this.d = (int) shape.inner;
        this.heads = shape.heads;
        this.dh = (int) shape.headSize();
        this.blockSize = shape.qkvBlockSize;
        this.conv = shape.convKernel > 0
                ? new ConvStep(shape.convKernel, d, prefix + "convW", prefix + "convB", prefix + "conv") : null;
        upProjection = new StepLinear(nIn, 2 * d, prefix + "upW", shape.bias ? prefix + "upB" : null);
        downProjection = new StepLinear(d, nOut, prefix + "downW", shape.bias ? prefix + "downB" : null);
        qW = new LiveParam(prefix + "qW");
        qB = LiveParam.optional(shape.bias, prefix + "qB");
        kW = new LiveParam(prefix + "kW");
        kB = LiveParam.optional(shape.bias, prefix + "kB");
        vW = new LiveParam(prefix + "vW");
        vB = LiveParam.optional(shape.bias, prefix + "vB");
        igateW = new LiveParam(prefix + "igateW");
        igateB = new LiveParam(prefix + "igateB");
        fgateW = new LiveParam(prefix + "fgateW");
        fgateB = new LiveParam(prefix + "fgateB");
        skip = new LiveParam(prefix + "skip");
        normW = new LiveParam(prefix + "normW");
        qWeights = new float[d * blockSize];
        kWeights = new float[d * blockSize];
        vWeights = new float[d * blockSize];
        qBias = shape.bias ? new float[d] : null;
        kBias = shape.bias ? new float[d] : null;
        vBias = shape.bias ? new float[d] : null;
        igateBias = new float[heads];
        fgateBias = new float[heads];
        skipWeights = new float[d];
        normWeights = new float[d];
        read = new float[dh];
    }

    @Override
    public void declareState(int batch, Map<String, long[]> shapes) {
        if (conv != null) {
            conv.declareState(batch, shapes);
        }
        shapes.put(prefix + "C", new long[] {batch, heads, dh, dh});
        shapes.put(prefix + "n", new long[] {batch, heads, dh});
        shapes.put(prefix + "m", new long[] {batch, heads});
    }

    private void size(int rows) {
        if (rows != batch) {
            batch = rows;
            up = new float[rows * 2 * d];
            xc = new float[rows * d];
            qkv = new float[rows * 3 * d];
            igate = new float[rows * heads];
            fgate = new float[rows * heads];
            n = new float[rows * heads * dh];
            m = new float[rows * heads];
            hCell = new float[rows * d];
            hOut = new float[rows * d];
        }
    }

    @Override
    public void step(Map<String, INDArray> params, float[] x, float[] y, int rows, StepState state) {
        size(rows);
        upProjection.apply(params, x, rows, up);
        if (conv != null) {
            conv.step(params, up, 0, 2 * d, xc, rows, state);
        } else {
            for (int r = 0; r < rows; r++) {
                for (int j = 0; j < d; j++) {
                    xc[r * d + j] = StepMath.silu(up[r * 2 * d + j]);
                }
            }
        }
        projectQkv(params, rows);
        gates(params, rows);
        memory(rows, state);

        normW.read(params, normWeights);
        skip.read(params, skipWeights);
        for (int r = 0; r < rows; r++) {
            StepMath.groupNorm(hCell, r * d, normWeights, heads, d, MLSTMModule.NORM_EPS, hOut, r * d);
            for (int j = 0; j < d; j++) {
                float hSkip = hOut[r * d + j] + xc[r * d + j] * skipWeights[j];
                hOut[r * d + j] = hSkip * StepMath.silu(up[r * 2 * d + d + j]);
            }
        }
        downProjection.apply(params, hOut, rows, y);
    }

    /** q, k from the conv branch and v from x_m, rows [q | k | v] of 3D. */
    private void projectQkv(Map<String, INDArray> params, int rows) {
        qW.read(params, qWeights);
        kW.read(params, kWeights);
        vW.read(params, vWeights);
        if (qB != null) {
            qB.read(params, qBias);
            kB.read(params, kBias);
            vB.read(params, vBias);
        }
        int blocks = d / blockSize;
        for (int r = 0; r < rows; r++) {
            int row = r * 3 * d;
            StepMath.blockDiagonal(xc, r * d, qWeights, qBias, blocks, blockSize, qkv, row);
            StepMath.blockDiagonal(xc, r * d, kWeights, kBias, blocks, blockSize, qkv, row + d);
            StepMath.blockDiagonal(up, r * 2 * d, vWeights, vBias, blocks, blockSize, qkv, row + 2 * d);
        }
    }

    /** Input and forget gate pre-activations [B, NH] from [q, k, v]; leaves [q, k, v] in native memory. */
    private void gates(Map<String, INDArray> params, int rows) {
        FloatPointer qkvRows = nativeQkv.load(qkv, rows * 3 * d);
        FloatPointer ig = nativeIgate.of((long) rows * heads);
        FloatPointer fg = nativeFgate.of((long) rows * heads);
        Blas.rowsTimesMatrix(qkvRows, igateW.pointer(params), ig, rows, 3 * d, heads);
        Blas.rowsTimesMatrix(qkvRows, fgateW.pointer(params), fg, rows, 3 * d, heads);
        HostArrays.read(ig, 0, igate, 0, igate.length);
        HostArrays.read(fg, 0, fgate, 0, fgate.length);
        igateB.read(params, igateBias);
        fgateB.read(params, fgateBias);
        for (int r = 0; r < rows; r++) {
            StepMath.add(igate, r * heads, igateBias, heads);
            StepMath.add(fgate, r * heads, fgateBias, heads);
        }
    }

    /**
     * The matrix-memory recurrence of {@link MatrixMemoryKernel} for every (row, head), writing h into hCell:
     * C = f C + i k' v^T, n = f n + i k', h = C^T q / (max(|n . q|, exp(-m)) + eps), k' = k / sqrt(DH).
     */
    private void memory(int rows, StepState state) {
        FloatPointer qkvRows = nativeQkv.of((long) rows * 3 * d);
        FloatPointer memory = state.pointer(prefix + "C");
        FloatPointer readOut = nativeRead.of(dh);
        state.read(prefix + "n", n);
        state.read(prefix + "m", m);
        double keyScale = Math.sqrt(dh);
        for (int r = 0; r < rows; r++) {
            for (int h = 0; h < heads; h++) {
                int gate = r * heads + h;
                float decayed = (float) (StepMath.logSigmoid(fgate[gate]) + m[gate]);
                float stabilizer = Math.max(decayed, igate[gate]);
                float forget = (float) Math.exp(decayed - stabilizer);
                float input = (float) Math.exp(igate[gate] - stabilizer);
                int q = r * 3 * d + h * dh;
                int k = q + d;
                int v = q + 2 * d;
                long c = (long) gate * dh * dh;
                Blas.scaleAndAddOuter(memory, c, forget, (float) (input / keyScale), qkvRows, k, qkvRows, v, dh, dh);
                Blas.vectorTimesMatrix(qkvRows, q, memory, c, readOut, 0, dh, dh);
                HostArrays.read(readOut, 0, read, 0, dh);
                float den = 0f;
                int nAt = gate * dh;
                for (int j = 0; j < dh; j++) {
                    float kScaled = (float) (qkv[k + j] / keyScale) * input;
                    n[nAt + j] = n[nAt + j] * forget + kScaled;
                    den += qkv[q + j] * n[nAt + j];
                }
                float normalizer = (float) (Math.max(Math.abs(den), Math.exp(-stabilizer))
                        + MatrixMemoryKernel.NORMALIZER_EPS);
                for (int j = 0; j < dh; j++) {
                    hCell[r * d + h * dh + j] = read[j] / normalizer;
                }
                m[gate] = stabilizer;
            }
        }
        state.write(prefix + "n", n);
        state.write(prefix + "m", m);
    }
}
