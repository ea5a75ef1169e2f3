package org.xlstm.dl4j.backend.cpu;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.xlstm.dl4j.kernel.MatrixMemoryForward;
import org.xlstm.dl4j.kernel.MatrixMemoryGradients;
import org.xlstm.dl4j.kernel.MatrixMemoryKernel;
import org.xlstm.dl4j.kernel.MatrixMemoryState;
import org.xlstm.dl4j.kernel.MatrixMemoryStep;
import org.xlstm.dl4j.kernel.portable.ChunkedSequence;
import org.xlstm.dl4j.kernel.portable.ChunkwiseMatrixMemoryBackward;
import org.xlstm.dl4j.kernel.portable.ChunkwiseMatrixMemoryForward;
import org.xlstm.dl4j.kernel.portable.ChunkwiseResiduals;
import org.xlstm.dl4j.kernel.portable.MatrixMemoryArguments;
import org.xlstm.dl4j.kernel.portable.PortableMatrixMemoryKernel;

/**
 * The CPU backend's matrix-memory kernel: float32 sequences take the per-recurrence host loops of the
 * chunkwise forward and backward ({@link HostChunkwiseForward}, {@link HostChunkwiseBackward}); everything
 * else (float64, half types, strided inputs, the single step) is the reference kernel's. Both share the
 * chunking ({@link ChunkedSequence}) and the residuals, so either backward takes either forward.
 */
final class CpuMatrixMemoryKernel implements MatrixMemoryKernel {
    private static final PortableMatrixMemoryKernel REFERENCE = PortableMatrixMemoryKernel.INSTANCE;

    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public MatrixMemoryForward forward(INDArray q, INDArray k, INDArray v, INDArray igate, INDArray fgate,
                                       INDArray mask, MatrixMemoryState initial, int chunkSize) {
        return run(q, k, v, igate, fgate, mask, initial, chunkSize, true);
    }

    @Override
    public MatrixMemoryForward inferenceForward(INDArray q, INDArray k, INDArray v, INDArray igate, INDArray fgate,
                                                INDArray mask, MatrixMemoryState initial, int chunkSize) {
        return run(q, k, v, igate, fgate, mask, initial, chunkSize, false);
    }

    private static MatrixMemoryForward run(INDArray q, INDArray k, INDArray v, INDArray igate, INDArray fgate,
                                           INDArray mask, MatrixMemoryState initial, int chunkSize,
                                           boolean keepResiduals) {
        MatrixMemoryArguments.checkSequence(q, k, v, igate, fgate, mask, initial);
        ChunkedSequence seq = new ChunkedSequence(q, k, v, igate, fgate, mask, chunkSize);
        return HostChunkwiseForward.applies(seq) ? HostChunkwiseForward.run(seq, initial, keepResiduals)
                : ChunkwiseMatrixMemoryForward.run(seq, initial, keepResiduals);
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
            return REFERENCE.backward(forward, dh, dFinal);
        }
        ChunkwiseResiduals r = (ChunkwiseResiduals) forward.residuals;
        ChunkedSequence seq = r.sequence;
        MatrixMemoryArguments.checkUpstream(dh, new long[] {seq.batch, seq.heads, seq.length, seq.headSize});
        MatrixMemoryArguments.checkFinalStateGradient(dFinal, seq.batch, seq.heads, seq.headSize);
        return HostChunkwiseBackward.applies(r) ? HostChunkwiseBackward.run(r, dh, dFinal)
                : ChunkwiseMatrixMemoryBackward.run(r, dh, dFinal);
    }

    @Override
    public MatrixMemoryStep step(INDArray q, INDArray k, INDArray v, INDArray igate, INDArray fgate,
                                 INDArray mask, MatrixMemoryState state) {
        return REFERENCE.step(q, k, v, igate, fgate, mask, state);
    }
}
