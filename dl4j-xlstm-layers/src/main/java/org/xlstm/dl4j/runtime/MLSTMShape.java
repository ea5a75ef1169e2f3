package org.xlstm.dl4j.runtime;

/** The sizes and options that determine an mLSTM layer's parameters and math (validated by the configuration). */
public final class MLSTMShape {
    public final long nIn;
    public final long nOut;
    /** Up-projected size D; heads split it into NH heads of D/NH. */
    public final long inner;
    public final int heads;
    public final int qkvBlockSize;
    /** 0 for no conv. */
    public final int convKernel;
    public final int chunkSize;
    public final boolean bias;
    /** Number of blocks in the residual stack (scales the down-projection's initialisation). */
    public final int numBlocks;

    public MLSTMShape(long nIn, long nOut, long inner, int heads, int qkvBlockSize, int convKernel, int chunkSize,
                      boolean bias, int numBlocks) {
        this.nIn = nIn;
        this.nOut = nOut;
        this.inner = inner;
        this.heads = heads;
        this.qkvBlockSize = qkvBlockSize;
        this.convKernel = convKernel;
        this.chunkSize = chunkSize;
        this.bias = bias;
        this.numBlocks = numBlocks;
    }

    public long headSize() {
        return inner / heads;
    }
}
