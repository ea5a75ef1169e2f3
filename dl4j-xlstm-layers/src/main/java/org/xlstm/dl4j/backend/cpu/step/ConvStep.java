package org.xlstm.dl4j.backend.cpu.step;

import java.util.Map;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.xlstm.dl4j.backend.cpu.HostCausalConv;

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
    /** w as K rows of C, the K input steps of the current output, and its pre-activation. */
    private final float[][] taps;
    private final float[][] window;
    private final float[] sum;
    private float[] history = new float[0];

    ConvStep(int kernel, int channels, String weight, String bias, String stateKey) {
        this.kernel = kernel;
        this.channels = channels;
        this.weight = new LiveParam(weight);
        this.bias = new LiveParam(bias);
        this.stateKey = stateKey;
        this.w = new float[kernel * channels];
        this.b = new float[channels];
        this.taps = new float[kernel][channels];
        this.window = new float[kernel][channels];
        this.sum = new float[channels];
    }

    void declareState(int batch, Map<String, long[]> shapes) {
        if (kernel > 1) {
            shapes.put(stateKey, new long[] {batch, kernel - 1, channels});
        }
    }

    /**
     * out[b] = silu(sum_j w[j] window[j] + bias) for the batch rows x[b*stride + xOff ...], window = history
     * then x; out rows are {@code channels} apart. The sum is {@link HostCausalConv#outputStep}, the sequence
     * path's.
     */
    void step(Map<String, INDArray> params, float[] x, int xOff, int stride, float[] out, int batch,
              StepState state) {
        weight.read(params, w);
        bias.read(params, b);
        for (int j = 0; j < kernel; j++) {
            System.arraycopy(w, j * channels, taps[j], 0, channels);
        }
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
            for (int j = 0; j < keep; j++) {
                System.arraycopy(history, hist + j * channels, window[j], 0, channels);
            }
            System.arraycopy(x, r * stride + xOff, window[keep], 0, channels);
            HostCausalConv.outputStep(taps, b, window, 0, sum);
            for (int c = 0; c < channels; c++) {
                out[r * channels + c] = StepMath.silu(sum[c]);
            }
            // shift the window: the oldest step leaves, the current one enters last
            for (int j = 0; j < keep; j++) {
                System.arraycopy(window[j + 1], 0, history, hist + j * channels, channels);
            }
        }
        if (keep > 0) {
            state.write(stateKey, history);
        }
    }
}
