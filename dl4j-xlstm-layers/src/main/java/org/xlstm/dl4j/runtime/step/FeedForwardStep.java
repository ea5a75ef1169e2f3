package org.xlstm.dl4j.runtime.step;

import java.util.Map;

import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.xlstm.dl4j.runtime.GatedFeedForwardModule;

/** Step form of {@link GatedFeedForwardModule}: W_down(act(g) * u), [g, u] = W_up x. Stateless. */
final class FeedForwardStep implements TokenStep {
    private final int size, inner;
    private final boolean gelu;
    private final LiveParam upW, upB, downW, downB;
    private final float[] upBias, downBias;
    private final NativeScratch nativeX = new NativeScratch(), nativeUp = new NativeScratch(),
            nativeProduct = new NativeScratch(), nativeY = new NativeScratch();
    private float[] up = new float[0];
    private float[] product = new float[0];

    FeedForwardStep(long size, long inner, GatedFeedForwardModule.Activation activation, boolean bias,
                    String prefix) {
        this.size = (int) size;
        this.inner = (int) inner;
        this.gelu = activation == GatedFeedForwardModule.Activation.GELU;
        upW = new LiveParam(prefix + "UpW");
        upB = LiveParam.optional(bias, prefix + "UpB");
        downW = new LiveParam(prefix + "DownW");
        downB = LiveParam.optional(bias, prefix + "DownB");
        upBias = bias ? new float[2 * this.inner] : null;
        downBias = bias ? new float[this.size] : null;
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
        FloatPointer upOut = nativeUp.of((long) rows * 2 * inner);
        Blas.rowsTimesMatrix(nativeX.load(x, rows * size), upW.pointer(params), upOut, rows, size, 2 * inner);
        NativeArrays.read(upOut, 0, up, 0, up.length);
        if (upB != null) {
            upB.read(params, upBias);
            for (int r = 0; r < rows; r++) {
                StepMath.add(up, r * 2 * inner, upBias, 2 * inner);
            }
        }
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < inner; j++) {
                float gate = up[r * 2 * inner + j];
                float activated = gelu ? StepMath.gelu(gate) : StepMath.silu(gate);
                product[r * inner + j] = activated * up[r * 2 * inner + inner + j];
            }
        }
        FloatPointer out = nativeY.of((long) rows * size);
        Blas.rowsTimesMatrix(nativeProduct.load(product, rows * inner), downW.pointer(params), out, rows, inner, size);
        NativeArrays.read(out, 0, y, 0, rows * size);
        if (downB != null) {
            downB.read(params, downBias);
            for (int r = 0; r < rows; r++) {
                StepMath.add(y, r * size, downBias, size);
            }
        }
    }
}
