package org.xlstm.dl4j.kernel.portable;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.xlstm.dl4j.kernel.MatrixMemoryForward;
import org.xlstm.dl4j.kernel.MatrixMemoryGradients;
import org.xlstm.dl4j.kernel.MatrixMemoryKernel;
import org.xlstm.dl4j.kernel.MatrixMemoryState;
import org.xlstm.dl4j.kernel.MatrixMemoryStep;

/**
 * The reference matrix-memory kernel, in plain ND4J operations: runs on any ND4J backend. DOUBLE and FLOAT
 * are computed in their own type, HALF and BFLOAT16 in FLOAT with results cast back. Backends with faster
 * forms (the CPU backend's host loops, CUDA) fall back to it for what they do not take.
 */
public final class PortableMatrixMemoryKernel implements MatrixMemoryKernel {
    public static final PortableMatrixMemoryKernel INSTANCE = new PortableMatrixMemoryKernel();

    private PortableMatrixMemoryKernel() {
    }

    @Override
    public String name() {
        return "reference";
    }

    @Override
    public MatrixMemoryForward forward(INDArray q, INDArray k, INDArray v, INDArray igate, INDArray fgate,
                                       INDArray mask, MatrixMemoryState initial, int chunkSize) {
        MatrixMemoryArguments.checkSequence(q, k, v, igate, fgate, mask, initial);
        return ChunkwiseMatrixMemoryForward.run(q, k, v, igate, fgate, mask, initial, chunkSize, true);
    }

    @Override
    public MatrixMemoryForward inferenceForward(INDArray q, INDArray k, INDArray v, INDArray igate, INDArray fgate,
                                                INDArray mask, MatrixMemoryState initial, int chunkSize) {
        MatrixMemoryArguments.checkSequence(q, k, v, igate, fgate, mask, initial);
        return ChunkwiseMatrixMemoryForward.run(q, k, v, igate, fgate, mask, initial, chunkSize, false);
    }

    @Override
    public MatrixMemoryGradients backward(MatrixMemoryForward forward, INDArray dh) {
        return backward(forward, dh, null);
    }

    @Override
    public boolean acceptsFinalStateGradient() {
        return true;
    }

    @Override
    public MatrixMemoryGradients backward(MatrixMemoryForward forward, INDArray dh, MatrixMemoryState dFinal) {
        if (forward == null || !(forward.residuals instanceof ChunkwiseResiduals)) {
            throw new IllegalArgumentException(
                    "forward: expected the result of PortableMatrixMemoryKernel.forward, got "
                            + (forward == null ? "null" : forward.residuals == null
                            ? "an inference forward, which keeps no residuals" : "residuals of another kernel"));
        }
        return ChunkwiseMatrixMemoryBackward.run((ChunkwiseResiduals) forward.residuals, dh, dFinal);
    }

    @Override
    public MatrixMemoryStep step(INDArray q, INDArray k, INDArray v, INDArray igate, INDArray fgate,
                                 INDArray mask, MatrixMemoryState state) {
        return MatrixMemoryRecurrentStep.run(q, k, v, igate, fgate, mask, state);
    }
}
