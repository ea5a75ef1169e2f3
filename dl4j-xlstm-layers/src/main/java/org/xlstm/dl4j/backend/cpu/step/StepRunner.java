package org.xlstm.dl4j.backend.cpu.step;

import java.util.LinkedHashMap;
import java.util.Map;

import org.deeplearning4j.nn.conf.RNNFormat;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.xlstm.dl4j.backend.cpu.HostArrays;

/**
 * Runs a layer's {@link TokenStep} for {@code rnnTimeStep}: takes the DL4J input of one time step, the
 * layer's state and live parameters, and gives the DL4J output, or declines where the step form does not
 * apply to this call (the layer then takes its general path, which also reports any invalid input).
 */
public final class StepRunner {
    private final TokenStep step;
    private final int nIn;
    private final int nOut;
    private final RNNFormat format;
    private final StepState state = new StepState();
    private final Map<String, long[]> stateShapes = new LinkedHashMap<>();
    private int shapesBatch = -1;
    private float[] x = new float[0];
    private float[] y = new float[0];

    /** For a float32 layer with the given step form; see {@link StepForms#enabled()} for when to use it. */
    public StepRunner(TokenStep step, long nIn, long nOut, RNNFormat format) {
        this.step = step;
        this.nIn = (int) nIn;
        this.nOut = (int) nOut;
        this.format = format;
    }

    /**
     * One step: input [B, nIn, 1] (NCW) or [B, 1, nIn] (NWC), float32, finite; {@code previous} the
     * layer's state or null. Returns false, changing nothing, where the input or the state does not fit.
     * Call outside workspaces: the state arrays are kept across calls.
     */
    public boolean step(Map<String, INDArray> params, INDArray input, Map<String, INDArray> previous) {
        int featureAxis = format == RNNFormat.NCW ? 1 : 2;
        if (input.rank() != 3 || input.dataType() != DataType.FLOAT || input.size(3 - featureAxis) != 1
                || input.size(featureAxis) != nIn) {
            return false;
        }
        int rows = (int) input.size(0);
        if (rows != shapesBatch) {
            stateShapes.clear();
            step.declareState(rows, stateShapes);
            shapesBatch = rows;
            x = new float[rows * nIn];
            y = new float[rows * nOut];
        }
        // With one time step, [B, nIn, 1] and [B, 1, nIn] c-order hold row b at b * nIn alike.
        INDArray contiguous = HostArrays.isDense(input) ? input : input.dup('c');
        HostArrays.read(HostArrays.pointer(contiguous, "input"), 0, x, 0, x.length);
        for (float v : x) {
            if (!Float.isFinite(v)) {
                return false;
            }
        }
        if (!state.adopt(previous, stateShapes)) {
            return false;
        }
        step.step(params, x, y, rows, state);
        return true;
    }

    /** Whether the last step's output is finite: checked on the host copy, without an ND4J op or array. */
    public boolean outputIsFinite() {
        for (float v : y) {
            if (!Float.isFinite(v)) {
                return false;
            }
        }
        return true;
    }

    /** The shape of the last step's output: [B, nOut, 1] (NCW) or [B, 1, nOut] (NWC). */
    public long[] outputShape() {
        int rows = y.length / nOut;
        return format == RNNFormat.NCW ? new long[] {rows, nOut, 1} : new long[] {rows, 1, nOut};
    }

    /** Writes the last step's output into {@code out}, a dense float32 array of {@link #outputShape}; returns it. */
    public INDArray writeOutput(INDArray out) {
        HostArrays.write(y, 0, y.length, HostArrays.pointer(out, "output"), 0);
        return out;
    }

    /** The state after the last step, for the layer to keep (not to hand out before {@link #share}). */
    public Map<String, INDArray> state() {
        return state.arrays();
    }

    /** The state's arrays become visible outside the layer: the next step works on copies. */
    public void share() {
        state.share();
    }
}
