package org.xlstm.dl4j.kernel.portable;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What the portable chunkwise backward needs from its forward pass. Keeping the state at every chunk
 * boundary lets the backward treat chunks independently apart from one reverse scan; the L x L decay
 * matrices are recomputed instead of stored.
 */
public final class ChunkwiseResiduals {
    public final ChunkedSequence sequence;
    /** [N, L]: the stabilizer m_j of every step. */
    public final INDArray stabilizer;
    /** [N, L]: w_j = exp(b_j + m0 - m_j), the weight of the carried state in step j's output. */
    public final INDArray stateWeight;
    /** [N, L]: the normalizer den_j before the floor. */
    public final INDArray denominator;
    /** [N, L, DH]: outputs in the compute type, masked steps not yet zeroed. */
    public final INDArray h;
    /** [N, DH, DH], [N, DH], [N]: the state entering each chunk. */
    public final INDArray chunkC;
    public final INDArray chunkN;
    public final INDArray chunkM;
    /** [N]: the stabilizer of the state leaving each chunk. */
    public final INDArray endM;
    public final boolean hasInitialState;

    public ChunkwiseResiduals(ChunkedSequence sequence, INDArray stabilizer, INDArray stateWeight, INDArray denominator,
                       INDArray h, INDArray chunkC, INDArray chunkN, INDArray chunkM, INDArray endM,
                       boolean hasInitialState) {
        this.sequence = sequence;
        this.stabilizer = stabilizer;
        this.stateWeight = stateWeight;
        this.denominator = denominator;
        this.h = h;
        this.chunkC = chunkC;
        this.chunkN = chunkN;
        this.chunkM = chunkM;
        this.endM = endM;
        this.hasInitialState = hasInitialState;
    }
}
