package org.xlstm.dl4j.kernel.portable;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.xlstm.dl4j.kernel.ScalarMemoryForward;
import org.xlstm.dl4j.kernel.ScalarMemoryGradients;
import org.xlstm.dl4j.kernel.ScalarMemoryKernel;
import org.xlstm.dl4j.kernel.ScalarMemoryState;
import org.xlstm.dl4j.kernel.ScalarMemoryStep;

/**
 * The sLSTM core in plain ND4J calls, for every backend. DOUBLE and FLOAT are computed in their own type,
 * HALF and BFLOAT16 in FLOAT with the results cast back.
 *
 * <p>Backward treats the stabilizer m as a constant, which is exact for h (see
 * {@link ScalarMemoryPointwise}). A unit whose normalizer n is zero starts fresh: its forget gate is 0,
 * which equals the official rule whenever its cell c is zero as well (any state the cell itself produced).
 */
public final class PortableScalarMemoryKernel implements ScalarMemoryKernel {

    public static final PortableScalarMemoryKernel INSTANCE = new PortableScalarMemoryKernel();

    public PortableScalarMemoryKernel() {
    }

    @Override
    public String name() {
        return "portable";
    }

    @Override
    public ScalarMemoryForward forward(INDArray preact, INDArray recurrent, INDArray mask, ScalarMemoryState initial) {
        ScalarMemoryDims dims = ScalarMemoryDims.ofSequence(preact);
        ScalarMemoryDims.requireFloatingPoint("preact", preact);
        dims.checkRecurrent(recurrent);
        dims.checkSequenceMask(mask);
        dims.checkState("initial", initial);
        return ScalarMemorySequenceForward.run(dims, preact, recurrent, mask, initial);
    }

    @Override
    public ScalarMemoryGradients backward(ScalarMemoryForward forward, INDArray dh) {
        if (forward == null || !(forward.residuals instanceof ScalarMemoryTrace)) {
            throw new IllegalArgumentException("forward: expected the result of " + getClass().getSimpleName()
                    + ".forward, got " + (forward == null ? "null" : "residuals of another kernel"));
        }
        ScalarMemoryTrace trace = (ScalarMemoryTrace) forward.residuals;
        trace.dims.checkHiddenGradient(dh);
        return ScalarMemorySequenceBackward.run(trace, dh);
    }

    @Override
    public ScalarMemoryStep step(INDArray preact, INDArray recurrent, INDArray mask, ScalarMemoryState state) {
        ScalarMemoryDims dims = ScalarMemoryDims.ofStep(preact);
        ScalarMemoryDims.requireFloatingPoint("preact", preact);
        dims.checkRecurrent(recurrent);
        dims.checkStepMask(mask);
        dims.checkState("state", state);
        long[] s = preact.shape();
        ScalarMemoryForward result = ScalarMemorySequenceForward.run(dims,
                preact.reshape(s[0], 1, s[1], s[2], s[3]), recurrent,
                mask == null ? null : mask.reshape(s[0], 1), state);
        return new ScalarMemoryStep(result.h.reshape(s[0], dims.units()), result.finalState);
    }
}
