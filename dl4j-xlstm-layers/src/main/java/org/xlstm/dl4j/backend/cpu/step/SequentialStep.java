package org.xlstm.dl4j.backend.cpu.step;

import java.util.List;
import java.util.Map;

import org.nd4j.linalg.api.ndarray.INDArray;

/** Step form of {@code SequentialModule}: the children's steps one after another. */
final class SequentialStep implements TokenStep {
    private final List<TokenStep> steps;
    /** Output sizes of all but the last child: the intermediate rows. */
    private final int[] sizes;
    private final float[][] between;

    SequentialStep(List<TokenStep> steps, int[] intermediateSizes) {
        this.steps = List.copyOf(steps);
        this.sizes = intermediateSizes.clone();
        this.between = new float[sizes.length][0];
    }

    @Override
    public void declareState(int batch, Map<String, long[]> shapes) {
        for (TokenStep s : steps) {
            s.declareState(batch, shapes);
        }
    }

    @Override
    public void step(Map<String, INDArray> params, float[] x, float[] y, int rows, StepState state) {
        float[] in = x;
        for (int i = 0; i < steps.size(); i++) {
            float[] out = y;
            if (i < sizes.length) {
                if (between[i].length != rows * sizes[i]) {
                    between[i] = new float[rows * sizes[i]];
                }
                out = between[i];
            }
            steps.get(i).step(params, in, out, rows, state);
            in = out;
        }
    }
}
