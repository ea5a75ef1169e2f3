package org.xlstm.dl4j.kernel.portable;

import static org.nd4j.linalg.indexing.NDArrayIndex.all;
import static org.nd4j.linalg.indexing.NDArrayIndex.interval;
import static org.nd4j.linalg.indexing.NDArrayIndex.point;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What the portable forward pass keeps for BPTT. Activations and states are stored rather than recomputed
 * because backward needs them at every step and recomputing would cost as many ND4J calls as the forward
 * pass itself.
 *
 * <p>Layout: slot-major with units as [NH, B, DH], so that every quantity of a step is one contiguous
 * block (ND4J's element-wise calls on strided views are several times slower) and the per-head products
 * with R read and write their operands in place.
 */
final class ScalarMemoryTrace {
    /** Raw gate slots: pre-activations including R h_{t-1}. */
    static final int I = 0, F = 1, Z = 2, O = 3;

    /**
     * Activation slots: stabilized input and forget gates, tanh(z), a constant one and sigmoid(o). The one
     * sits right after tanh(z) so that {@code i' * [tanh z, 1]} yields the cell and normalizer increments
     * in a single broadcast multiply.
     */
    static final int ACT_I = 0, ACT_F = 1, ACT_Z = 2, ACT_ONE = 3, ACT_O = 4, ACT_SLOTS = 5;

    /**
     * State slots: cell and normalizer are adjacent so that the forget gate scales both in one call; the
     * four are adjacent so that padded steps restore them in one blend.
     */
    static final int C = 0, N = 1, H = 2, M = 3, STATE_SLOTS = 4;

    /**
     * A step's raw gates, activations and new state side by side in one [13, NH, B, DH] slab, so that the
     * forward loop stores a whole step with a single copy.
     */
    static final int RAW_AT = 0, ACT_AT = 4, STATE_AT = 9, STEP_SLOTS = 13;

    /**
     * Stand-in for the stabilizer of a unit whose normalizer is zero: it makes max(i, m + logsigmoid(f))
     * pick i and makes the forget gate exactly 0, which is the official fresh-state rule without a
     * per-step test on n. Finite, unlike -inf, so masked blends never meet inf * 0.
     */
    static final double FRESH_STABILIZER = -1e30;

    final ScalarMemoryDims dims;
    /** DOUBLE or FLOAT: the type everything here is computed in. */
    final DataType computeType;
    /** The caller's type, restored on every result. */
    final DataType resultType;
    /** R gate-major as [4*NH, DH_in, DH_out] in the compute type: batch entry gate*NH + head. */
    final INDArray recurrent;
    /**
     * [T+1, 13, NH, B, DH]: entry t+1 holds step t's slab, entry 0 the initial state. Views are always
     * taken from this contiguous array in one {@code get}: ND4J M2.1 returns a scalar for a point index on
     * the first dimension of some views.
     */
    final INDArray steps;
    /** Null when no step is padded. */
    final ScalarMemoryPadding padding;
    final boolean initialGiven;

    ScalarMemoryTrace(ScalarMemoryDims dims, DataType computeType, DataType resultType, INDArray recurrent,
            INDArray steps, ScalarMemoryPadding padding, boolean initialGiven) {
        this.dims = dims;
        this.computeType = computeType;
        this.resultType = resultType;
        this.recurrent = recurrent;
        this.steps = steps;
        this.padding = padding;
        this.initialGiven = initialGiven;
    }

    /** Raw pre-activation of one gate for steps [from, to): [to-from, NH, B, DH]. */
    INDArray rawGate(int from, int to, int gate) {
        return steps.get(interval(from + 1, to + 1), point(RAW_AT + gate), all(), all(), all());
    }

    /** One activation slot for steps [from, to): [to-from, NH, B, DH]. */
    INDArray activation(int from, int to, int slot) {
        return steps.get(interval(from + 1, to + 1), point(ACT_AT + slot), all(), all(), all());
    }

    /** One state slot after steps from-1 .. to-1 (from = 0: the initial state): [to-from, NH, B, DH]. */
    INDArray state(int from, int to, int slot) {
        return steps.get(interval(from, to), point(STATE_AT + slot), all(), all(), all());
    }

    /** One state slot after step t-1 (t = 0: the initial state): [NH, B, DH]. */
    INDArray stateAt(int t, int slot) {
        return steps.get(point(t), point(STATE_AT + slot), all(), all(), all());
    }
}
