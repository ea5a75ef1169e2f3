package org.xlstm.dl4j.backend.cpu.step;

import java.util.Map;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One step of the runtime's {@code ConvBranch}, silu(causal depthwise conv(x)), with the K-1 previous inputs
 * carried in the state entry {@code stateKey} [B, K-1, C] exactly as the general path carries them.
 */
final class ConvStep {
    private final int kernel;
    private final int channels;
    private final LiveParam weight;
    private final LiveParam bias;
    private final String stateKey;
    private final float[] w;
    private final float[] b;
    private float[] history = new float[0];

    ConvStep(int kernel, int channels, String weight, String bias, String stateKey) {
        this.kernel = kernel;
        this.channels = channels;
        this.weight = new LiveParam(weight);
        this.bias = new LiveParam(bias);
        this.stateKey = stateKey;
        this.w = new float[kernel * channels];
        this.b = new float[channels];
    }

    void declareState(int batch, Map<String, long[]> shapes) {
        if (kernel > 1) {
            shapes.put(stateKey, new long[] {batch, kernel - 1, channels});
        }
    }

    /**
     * out[b] = silu(sum_j w[j] window[j] + bias) for the batch rows x[b*stride + xOff ...], window = history
     * then x; out rows are {@code channels} apart. Summed in the general path's order (tap 0 first, bias last).
     */
    void step(Map<String, INDArray> params, float[] x, int xOff, int stride, float[] out, int batch,
              StepState state) {
        weight.read(params, w);
        bias.read(params, b);
        int keep = kernel - 1;
        int rows = batch * keep * channels;
        if (history.length != rows) {
            history = new float[rows];
        }
        if (keep > 0) {
            state.read(stateKey, history);
        }
        for (int r = 0; r < batch; r++) {
            int hist = r * keep * channels;
            int in = r * stride + xOff;
            for (int c = 0; c < channels; c++) {
                float current = x[in + c];
                float sum = keep > 0 ? history[hist + c] * w[c] : current * w[c];
                for (int j = 1; j < kernel; j++) {
                    float tap = j < keep ? history[hist + j * channels + c] : current;
                    sum += tap * w[j * channels + c];
                }
                out[r * channels + c] = StepMath.silu(sum + b[c]);
                // shift the window: the oldest step leaves, the current one enters last
                for (int j = 0; j + 1 < keep; j++) {
                    history[hist + j * channels + c] = history[hist + (j + 1) * channels + c];
                }
                if (keep > 0) {
                    history[hist + (keep - 1) * channels + c] = current;
                }
            }
        }
        if (keep > 0) {
            state.write(stateKey, history);
        }
    }
}
