package org.xlstm.dl4j.backend.cpu.step;

import java.util.Map;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.xlstm.dl4j.runtime.MLSTMModule;

/** xLSTM's LayerNorm (scale 1 + w, no bias) of each row: the step form of {@code LayerNormModule}. Stateless. */
final class LayerNormStep implements TokenStep {
    private final int size;
    private final LiveParam weight;
    private final float[] w;

    LayerNormStep(long size, String weight) {
        this.size = (int) size;
        this.weight = new LiveParam(weight);
        this.w = new float[this.size];
    }

    @Override
    public void declareState(int batch, Map<String, long[]> shapes) {
    }

    @Override
    public void step(Map<String, INDArray> params, float[] x, float[] y, int rows, StepState state) {
        weight.read(params, w);
        for (int r = 0; r < rows; r++) {
            StepMath.groupNorm(x, r * size, w, 1, size, MLSTMModule.NORM_EPS, y, r * size);
        }
    }
}
