package org.xlstm.dl4j.runtime;

/** The sizes and options that determine an sLSTM layer's parameters and math (validated by the configuration). */
public final class SLSTMShape {
    public final long nIn;
    /** Hidden size D = NH * DH; also the output size. */
    public final long hidden;
    public final int heads;
    /** 0 for no conv. */
    public final int convKernel;
    /** Head-wise (block-diagonal) gate input projections, as the official layer; else dense. */
    public final boolean headwise;
    public final SLSTMBiasInit biasInit;
    public final int blockIndex;
    public final int numBlocks;

    public SLSTMShape(long nIn, long hidden, int heads, int convKernel, boolean headwise, SLSTMBiasInit biasInit,
                      int blockIndex, int numBlocks) {
        this.nIn = nIn;
        this.hidden = hidden;
        this.heads = heads;
        this.convKernel = convKernel;
        this.headwise = headwise;
        this.biasInit = biasInit;
        this.blockIndex = blockIndex;
        this.numBlocks = numBlocks;
    }

    public long headSize() {
        return hidden / heads;
    }
}
