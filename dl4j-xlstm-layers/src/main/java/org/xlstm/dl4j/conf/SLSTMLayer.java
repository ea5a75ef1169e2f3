package org.xlstm.dl4j.conf;

import org.xlstm.dl4j.runtime.SLSTMBiasInit;
import org.xlstm.dl4j.runtime.SLSTMModule;
import org.xlstm.dl4j.runtime.SLSTMShape;
import org.xlstm.dl4j.runtime.SequenceModule;

import lombok.EqualsAndHashCode;
import lombok.Getter;
import lombok.Setter;

/**
 * The sLSTM layer (scalar memory with exponential gating and memory mixing across each head) as a
 * drop-in replacement for DL4J's {@code LSTM}: input [minibatch, nIn, time], output [minibatch, nOut,
 * time] (NCW; NWC via {@link Builder#dataFormat}). nOut is the hidden size, split into heads.
 *
 * <p>When nIn == nOut the gate input projections are head-wise (block-diagonal), as in the official
 * layer and required to load official weights; otherwise they are dense nIn x nOut. Official
 * initialisation, including the block-dependent power-law forget-gate bias.
 *
 * <p>Unlike an LSTM's hidden state, which starts near zero, the output is normalised per head (the official
 * group norm), so it has unit scale from the first step. A layer after it that is initialised for LSTM-sized
 * inputs, such as a regression head with DL4J's default Xavier init, starts with large random outputs; initialise
 * such a head small or at zero (the swap-lstm sample: test RMSE 3.24 °C with a Xavier head, 2.91 with a zero one).
 */
@Getter
@Setter
@EqualsAndHashCode(callSuper = true)
public class SLSTMLayer extends XlstmLayerConfig {
    protected int numHeads = 4;
    protected int convKernelSize = 4;
    protected SLSTMBiasInit biasInit = SLSTMBiasInit.POWERLAW_BLOCKDEPENDENT;
    protected int blockIndex;
    protected int numBlocks = 1;

    protected SLSTMLayer() {
        // for JSON
    }

    protected SLSTMLayer(AbstractBuilder<?> builder) {
        super(builder);
        this.numHeads = builder.numHeads;
        this.convKernelSize = builder.convKernelSize;
        this.biasInit = builder.biasInit;
        this.blockIndex = builder.blockIndex;
        this.numBlocks = builder.numBlocks;
    }

    protected SLSTMShape shape() {
        requireSizesSet();
        require(numHeads > 0 && nOut % numHeads == 0, "numHeads", "a positive divisor of nOut " + nOut, numHeads);
        require(convKernelSize >= 0, "convKernelSize", ">= 0 (0 = no conv)", convKernelSize);
        require(numBlocks > 0, "numBlocks", "> 0", numBlocks);
        require(blockIndex >= 0 && blockIndex < numBlocks, "blockIndex", "in [0, " + numBlocks + ")", blockIndex);
        require(biasInit != null, "biasInit", "set", null);
        return new SLSTMShape(nIn, nOut, numHeads, convKernelSize, nIn == nOut, biasInit, blockIndex, numBlocks);
    }

    @Override
    public SequenceModule module() {
        return new SLSTMModule(shape());
    }

    /** Options shared by {@link SLSTMLayer} and {@link SLSTMBlock}. */
    @SuppressWarnings("unchecked")
    public abstract static class AbstractBuilder<T extends AbstractBuilder<T>> extends XlstmLayerConfig.Builder<T> {
        protected int numHeads = 4;
        protected int convKernelSize = 4;
        protected SLSTMBiasInit biasInit = SLSTMBiasInit.POWERLAW_BLOCKDEPENDENT;
        protected int blockIndex;
        protected int numBlocks = 1;

        /** Heads (default 4): the recurrent matrix is block-diagonal over heads; must divide nOut. */
        public T numHeads(int numHeads) {
            this.numHeads = numHeads;
            return (T) this;
        }

        /** Causal conv kernel size in front of the input and forget gates (default 4; 0 disables it). */
        public T convKernelSize(int convKernelSize) {
            this.convKernelSize = convKernelSize;
            return (T) this;
        }

        /** Gate-bias initialisation (default: the official power-law, block-dependent forget bias). */
        public T biasInit(SLSTMBiasInit biasInit) {
            this.biasInit = biasInit;
            return (T) this;
        }

        /** Position of this block in its stack and the stack's size: shape the forget-bias and output inits. */
        public T blockPosition(int blockIndex, int numBlocks) {
            this.blockIndex = blockIndex;
            this.numBlocks = numBlocks;
            return (T) this;
        }
    }

    public static class Builder extends AbstractBuilder<Builder> {
        @Override
        @SuppressWarnings("unchecked")
        public SLSTMLayer build() {
            SLSTMLayer layer = new SLSTMLayer(this);
            if (layer.nIn > 0) {
                layer.shape();
            }
            return layer;
        }
    }
}
