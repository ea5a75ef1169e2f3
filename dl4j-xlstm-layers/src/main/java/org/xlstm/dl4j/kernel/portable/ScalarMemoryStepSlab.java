package org.xlstm.dl4j.kernel.portable;

import static org.nd4j.linalg.indexing.NDArrayIndex.all;
import static org.nd4j.linalg.indexing.NDArrayIndex.interval;
import static org.xlstm.dl4j.kernel.portable.ScalarMemoryTrace.*;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One forward step's working slab [13, NH, B, DH] (raw gates, activations, state) with every view the step
 * needs created once: creating an ND4J view costs about as much as a small op, and a step needs ~25.
 * Each view is a contiguous block.
 */
final class ScalarMemoryStepSlab {
    final INDArray slab;
    final INDArray raw;
    final INDArray rawI, rawF, rawZ, rawO;
    final INDArray inputGate, forgetGate, inputAndForget, cellInput, cellInputAndOne, outputGate;
    final INDArray state, cellAndNormalizer, cell, normalizer, hidden, stabilizer;

    ScalarMemoryStepSlab(DataType type, long batch, long heads, long headSize) {
        slab = Nd4j.create(type, STEP_SLOTS, heads, batch, headSize);
        raw = range(RAW_AT, RAW_AT + 4);
        rawI = range(RAW_AT + I, RAW_AT + I + 1);
        rawF = range(RAW_AT + F, RAW_AT + F + 1);
        rawZ = range(RAW_AT + Z, RAW_AT + Z + 1);
        rawO = range(RAW_AT + O, RAW_AT + O + 1);
        inputGate = range(ACT_AT + ACT_I, ACT_AT + ACT_I + 1);
        forgetGate = range(ACT_AT + ACT_F, ACT_AT + ACT_F + 1);
        inputAndForget = range(ACT_AT + ACT_I, ACT_AT + ACT_F + 1);
        cellInput = range(ACT_AT + ACT_Z, ACT_AT + ACT_Z + 1);
        cellInputAndOne = range(ACT_AT + ACT_Z, ACT_AT + ACT_ONE + 1);
        outputGate = range(ACT_AT + ACT_O, ACT_AT + ACT_O + 1);
        range(ACT_AT + ACT_ONE, ACT_AT + ACT_ONE + 1).assign(1);
        state = range(STATE_AT, STATE_AT + STATE_SLOTS);
        cellAndNormalizer = range(STATE_AT + C, STATE_AT + N + 1);
        cell = range(STATE_AT + C, STATE_AT + C + 1);
        normalizer = range(STATE_AT + N, STATE_AT + N + 1);
        hidden = range(STATE_AT + H, STATE_AT + H + 1);
        stabilizer = range(STATE_AT + M, STATE_AT + M + 1);
    }

    /** Slots [from, to) as [to-from, NH, B, DH]. */
    private INDArray range(int from, int to) {
        return slab.get(interval(from, to), all(), all(), all());
    }
}
