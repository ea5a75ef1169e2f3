package org.xlstm.dl4j.backend.cpu.step;

import java.util.Map;

import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.xlstm.dl4j.backend.cpu.HostArrays;

/**
 * A dense map of the step form, {@code y = x W (+ b)} for heap rows: OpenBLAS on the live weight, then the
 * optional live bias added row by row (the layout of {@code ops.Linear}: W [in, out], b [1, out]).
 */
final class StepLinear {
    private final int in;
    private final int out;
    private final LiveParam weight;
    private final LiveParam bias;
    private final float[] biasValues;
    private final NativeScratch nativeIn = new NativeScratch();
    private final NativeScratch nativeOut = new NativeScratch();

    /** @param bias the bias parameter's name, or null when the map has none */
    StepLinear(int in, int out, String weight, String bias) {
        this.in = in;
        this.out = out;
        this.weight = new LiveParam(weight);
        this.bias = bias == null ? null : new LiveParam(bias);
        this.biasValues = bias == null ? null : new float[out];
    }

    /** x [rows, in] to y [rows, out], both row-major heap arrays. */
    void apply(Map<String, INDArray> params, float[] x, int rows, float[] y) {
        FloatPointer result = nativeOut.of((long) rows * out);
        Blas.rowsTimesMatrix(nativeIn.load(x, rows * in), weight.pointer(params), result, rows, in, out);
        HostArrays.read(result, 0, y, 0, rows * out);
        if (bias != null) {
            bias.read(params, biasValues);
            for (int r = 0; r < rows; r++) {
                StepMath.add(y, r * out, biasValues, out);
            }
        }
    }
}
