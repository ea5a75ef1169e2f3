package org.xlstm.dl4j.kernel.portable;

import static org.nd4j.linalg.indexing.NDArrayIndex.all;
import static org.nd4j.linalg.indexing.NDArrayIndex.interval;
import static org.nd4j.linalg.indexing.NDArrayIndex.point;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What the portable forward pass keeps for BPTT, all time-major so that one step is one contiguous slab.
 * Activations and states are stored rather than recomputed because backward needs them at every step
 * and recomputing would cost as many ND4J calls as the forward pass itself.
 */
final class ScalarMemoryTrace {
    /** Gate slots of {@link #raw} ([T, B, NH, 4, DH]): pre-activations including R h_{t-1}. */
    static final int I = 0, F = 1, Z = 2, O = 3;

    /**
     * Slots of {@link #act} ([T, B, NH, 5, DH]): stabilized input and forget gates, tanh(z), a constant
     * one and sigmoid(o). The one sits right after tanh(z) so that {@code i' * [tanh z, 1]} yields the
     * cell and normalizer increments in a single broadcast multiply.
     */
    static final int ACT_I = 0, ACT_F = 1, ACT_Z = 2, ACT_ONE = 3, ACT_O = 4, ACT_SLOTS = 5;

    /**
     * Slots of {@link #states} ([T+1, B, NH, 4, DH], entry 0 the initial state): cell and normalizer are
     * adjacent so that the forget gate scales both in one call; the whole slab is blended at padded steps.
     */
    static final int C = 0, N = 1, H = 2, M = 3, STATE_SLOTS = 4;

    /**
     * Stand-in for the stabilizer of a unit whose normalizer is zero: it makes max(i, m + logsigmoid(f))
     * pick i and makes the forget gate exactly 0, which is the official fresh-state rule without a
     * per-step test on n. Finite, unlike -inf, so masked blends never meet inf * 0.
     */
    /**
     * A step's raw gates, activations and new state side by side in one [B, NH, 13, DH] slab, so that the
     * forward loop stores a whole step with a single copy.
     */
    static final int RAW_AT = 0, ACT_AT = 4, STATE_AT = 9, STEP_SLOTS = 13;

    static final double FRESH_STABILIZER = -1e30;

    final ScalarMemoryDims dims;
    /** DOUBLE or FLOAT: the type everything here is computed in. */
    final DataType computeType;
    /** The caller's type, restored on every result. */
    final DataType resultType;
    /** R as [NH, DH_in, 4*DH_out] in the compute type. */
    final INDArray recurrent;
    /**
     * [T+1, B, NH, 13, DH]: entry t+1 holds step t's slab (raw gates, activations, state after the step),
     * entry 0 the initial state. Views are always taken from this contiguous array in one {@code get}:
     * ND4J M2.1 returns a scalar for a point index on the first dimension of some views.
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

    /** Raw pre-activation of one gate for steps [from, to): [to-from, B, NH, DH]. */
    INDArray rawGate(int from, int to, int gate) {
        return steps.get(interval(from + 1, to + 1), all(), all(), point(RAW_AT + gate), all());
    }

    /** One activation slot for steps [from, to): [to-from, B, NH, DH]. */
    INDArray activation(int from, int to, int slot) {
        return steps.get(interval(from + 1, to + 1), all(), all(), point(ACT_AT + slot), all());
    }

    /** One state slot after steps from-1 .. to-1 (from = 0: the initial state): [to-from, B, NH, DH]. */
    INDArray state(int from, int to, int slot) {
        return steps.get(interval(from, to), all(), all(), point(STATE_AT + slot), all());
    }

    /** The state after step t-1 (t = 0: the initial state): [B, NH, 4, DH]. */
    INDArray stateAt(int t) {
        return steps.get(point(t), all(), all(), interval(STATE_AT, STATE_AT + STATE_SLOTS), all());
    }
}
