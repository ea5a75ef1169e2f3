package org.xlstm.dl4j.backend.cpu.step;

import java.util.Map;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.xlstm.dl4j.runtime.GatedFeedForwardModule;

/** Step form of {@link GatedFeedForwardModule}: W_down(act(g) * u), [g, u] = W_up x. Stateless. */
final class FeedForwardStep implements TokenStep {
    private final int size, inner;
    private final boolean gelu;
    private final StepLinear upProjection, downProjection;
    private float[] up = new float[0];
    private float[] product = new float[0];

    FeedForwardStep(long size, long inner, GatedFeedForwardModule.Activation activation, boolean bias,
                    String prefix) {
        this.size = (int) size;
        this.inner = (int) inner;
        this.gelu = activation == GatedFeedForwardModule.Activation.GELU;
        upProjection = new StepLinear(this.size, 2 * this.inner, prefix + "UpW", bias ? prefix + "UpB" : null);
        downProjection = new StepLinear(this.inner, this.size, prefix + "DownW", bias ? prefix + "DownB" : null);
    }

    @Override
    public void declareState(int batch, Map<String, long[]> shapes) {
    }

    @Override
    public void step(Map<String, INDArray> params, float[] x, float[] y, int rows, StepState state) {
        if (up.length != rows * 2 * inner) {
            up = new float[rows * 2 * inner];
            product = new float[rows * inner];
        }
        upProjection.apply(params, x, rows, up);
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < inner; j++) {
                float gate = up[r * 2 * inner + j];
                float activated = gelu ? StepMath.gelu(gate) : StepMath.silu(gate);
                product[r * inner + j] = activated * up[r * 2 * inner + inner + j];
            }
        }
        downProjection.apply(params, product, rows, y);
    }
}
