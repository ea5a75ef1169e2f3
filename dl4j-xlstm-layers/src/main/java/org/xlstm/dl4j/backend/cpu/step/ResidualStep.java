package org.xlstm.dl4j.backend.cpu.step;

import java.util.Map;

import org.nd4j.linalg.api.ndarray.INDArray;

/** Step form of {@code PreNormResidual}: x + inner(LayerNorm(x)). */
final class ResidualStep implements TokenStep {
    private final int size;
    private final LayerNormStep norm;
    private final TokenStep inner;
    private float[] normed = new float[0];
    private float[] innerOut = new float[0];

    ResidualStep(long size, String normWeight, TokenStep inner) {
        this.size = (int) size;
        this.norm = new LayerNormStep(size, normWeight);
        this.inner = inner;
    }

    @Override
    public void declareState(int batch, Map<String, long[]> shapes) {
        inner.declareState(batch, shapes);
    }

    @Override
    public void step(Map<String, INDArray> params, float[] x, float[] y, int rows, StepState state) {
        if (normed.length != rows * size) {
            normed = new float[rows * size];
            innerOut = new float[rows * size];
        }
        norm.step(params, x, normed, rows, state);
        inner.step(params, normed, innerOut, rows, state);
        for (int i = 0; i < rows * size; i++) {
            y[i] = innerOut[i] + x[i];
        }
    }
}
