package org.xlstm.dl4j.conf;

import org.xlstm.dl4j.runtime.MLSTMModule;
import org.xlstm.dl4j.runtime.MLSTMShape;
import org.xlstm.dl4j.runtime.SequenceModule;

import lombok.EqualsAndHashCode;
import lombok.Getter;
import lombok.Setter;

/**
 * The mLSTM layer (matrix memory, parallelisable over time) as a drop-in replacement for DL4J's
 * {@code LSTM}: input [minibatch, nIn, time], output [minibatch, nOut, time] (NCW; NWC via
 * {@link Builder#dataFormat}).
 *
 * <p>Inside: up-projection of nIn to 2·D, where D = projFactor·nOut rounded up to a multiple of 64 (or
 * {@link Builder#innerSize}), causal depthwise conv, block-diagonal q/k/v, exponential input and sigmoid
 * forget gates per head, the matrix-memory cell (chunkwise form, carried state), per-head norm, learnable
 * skip, SiLU output gate and down-projection to nOut. Official xLSTM initialisation.
 */
@Getter
@Setter
@EqualsAndHashCode(callSuper = true)
public class MLSTMLayer extends XlstmLayerConfig {
    public static final int INNER_SIZE_MULTIPLE = 64;

    protected int numHeads = 4;
    protected double projFactor = 2.0;
    protected long innerSize;
    protected int convKernelSize = 4;
    protected int qkvBlockSize = 4;
    protected int chunkSize = 128;
    protected boolean bias;
    protected int numBlocks = 1;

    protected MLSTMLayer() {
        // for JSON
    }

    protected MLSTMLayer(AbstractBuilder<?> builder) {
        super(builder);
        this.numHeads = builder.numHeads;
        this.projFactor = builder.projFactor;
        this.innerSize = builder.innerSize;
        this.convKernelSize = builder.convKernelSize;
        this.qkvBlockSize = builder.qkvBlockSize;
        this.chunkSize = builder.chunkSize;
        this.bias = builder.bias;
        this.numBlocks = builder.numBlocks;
    }

    /** projFactor·width rounded up to a multiple of 64, as the official implementation sizes inner layers. */
    public static long roundUpInner(double projFactor, long width) {
        long raw = (long) Math.ceil(projFactor * width - 1e-9);
        return (raw + INNER_SIZE_MULTIPLE - 1) / INNER_SIZE_MULTIPLE * INNER_SIZE_MULTIPLE;
    }

    /** The up-projected size D. */
    public long effectiveInnerSize() {
        return innerSize > 0 ? innerSize : roundUpInner(projFactor, nOut);
    }

    protected MLSTMShape shape() {
        requireSizesSet();
        require(numHeads > 0, "numHeads", "> 0", numHeads);
        require(projFactor > 0, "projFactor", "> 0", projFactor);
        long inner = effectiveInnerSize();
        require(inner % numHeads == 0, "numHeads", "a divisor of the inner size " + inner, numHeads);
        require(qkvBlockSize > 0 && inner % qkvBlockSize == 0, "qkvBlockSize",
                "a positive divisor of the inner size " + inner, qkvBlockSize);
        require(convKernelSize >= 0, "convKernelSize", ">= 0 (0 = no conv)", convKernelSize);
        require(chunkSize > 0, "chunkSize", "> 0", chunkSize);
        require(numBlocks > 0, "numBlocks", "> 0", numBlocks);
        return new MLSTMShape(nIn, nOut, inner, numHeads, qkvBlockSize, convKernelSize, chunkSize, bias, numBlocks);
    }

    @Override
    public SequenceModule module() {
        return new MLSTMModule(shape(), "");
    }

    /** Options shared by {@link MLSTMLayer} and {@link MLSTMBlock}. */
    @SuppressWarnings("unchecked")
    public abstract static class AbstractBuilder<T extends AbstractBuilder<T>> extends XlstmLayerConfig.Builder<T> {
        protected int numHeads = 4;
        protected double projFactor = 2.0;
        protected long innerSize;
        protected int convKernelSize = 4;
        protected int qkvBlockSize = 4;
        protected int chunkSize = 128;
        protected boolean bias;
        protected int numBlocks = 1;

        /** Heads of the matrix memory (default 4); must divide the inner size. */
        public T numHeads(int numHeads) {
            this.numHeads = numHeads;
            return (T) this;
        }

        /** Up-projection factor (default 2.0); the inner size is rounded up to a multiple of 64. */
        public T projFactor(double projFactor) {
            this.projFactor = projFactor;
            return (T) this;
        }

        /** An explicit inner size instead of the projection factor (e.g. for very small layers). */
        public T innerSize(long innerSize) {
            this.innerSize = innerSize;
            return (T) this;
        }

        /** Causal depthwise conv kernel size (default 4; 0 disables the conv). */
        public T convKernelSize(int convKernelSize) {
            this.convKernelSize = convKernelSize;
            return (T) this;
        }

        /** Block size of the block-diagonal q/k/v projections (default 4). */
        public T qkvBlockSize(int qkvBlockSize) {
            this.qkvBlockSize = qkvBlockSize;
            return (T) this;
        }

        /**
         * Chunk length of the chunkwise matrix-memory form (default 128, the fastest of 64/128/256 on CPU):
         * speed only, not results.
         */
        public T chunkSize(int chunkSize) {
            this.chunkSize = chunkSize;
            return (T) this;
        }

        /** Biases on the up, q/k/v and down projections (default false, as the official layer). */
        public T bias(boolean bias) {
            this.bias = bias;
            return (T) this;
        }

        /** Number of blocks in the surrounding stack; scales the down-projection initialisation (default 1). */
        public T numBlocks(int numBlocks) {
            this.numBlocks = numBlocks;
            return (T) this;
        }
    }

    public static class Builder extends AbstractBuilder<Builder> {
        @Override
        @SuppressWarnings("unchecked")
        public MLSTMLayer build() {
            MLSTMLayer layer = new MLSTMLayer(this);
            if (layer.nIn > 0) {
                layer.shape();
            }
            return layer;
        }
    }
}
