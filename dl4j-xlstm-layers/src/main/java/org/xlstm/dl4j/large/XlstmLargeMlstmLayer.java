package org.xlstm.dl4j.large;

import org.xlstm.dl4j.conf.XlstmLayerConfig;
import org.xlstm.dl4j.runtime.SequenceModule;

import lombok.EqualsAndHashCode;
import lombok.Getter;
import lombok.Setter;

/**
 * The mLSTM layer of xLSTM-Large (the architecture of NX-AI's xLSTM 7B) as a DL4J layer, size-preserving
 * (nIn = nOut = the embedding size E): separate q, k (qkDimFactor·E) and v (vDimFactor·E) maps, soft-capped
 * exponential input and sigmoid forget gates, the matrix-memory cell (chunkwise form for sequences, the
 * recurrent step for single time steps, state carried by rnnTimeStep), per-head layer norm, sigmoid output
 * gate and output projection. Input [minibatch, E, time] (NCW; NWC via {@link Builder#dataFormat}).
 */
@Getter
@Setter
@EqualsAndHashCode(callSuper = true)
public class XlstmLargeMlstmLayer extends XlstmLayerConfig {
    protected int numHeads = 4;
    protected double qkDimFactor = 0.5;
    protected double vDimFactor = 1.0;
    protected boolean bias;
    protected double normEps = 1e-6;
    protected double gateSoftCap = 15.0;
    protected int chunkSize = 64;

    protected XlstmLargeMlstmLayer() {
        // for JSON
    }

    protected XlstmLargeMlstmLayer(AbstractBuilder<?> builder) {
        super(builder);
        if (nOut <= 0) {
            nOut = nIn;
        }
        this.numHeads = builder.numHeads;
        this.qkDimFactor = builder.qkDimFactor;
        this.vDimFactor = builder.vDimFactor;
        this.bias = builder.bias;
        this.normEps = builder.normEps;
        this.gateSoftCap = builder.gateSoftCap;
        this.chunkSize = builder.chunkSize;
    }

    @Override
    protected void onNInSet() {
        nOut = nIn;
    }

    /** The validated sizes: a clear error names the setting that does not fit. */
    LargeMlstmShape shape() {
        requireSizesSet();
        require(nIn == nOut, "nOut", "equal to nIn (" + nIn + "): the layer preserves the embedding size", nOut);
        require(numHeads > 0, "numHeads", "> 0", numHeads);
        long qkDim = (long) (nIn * qkDimFactor);
        long vDim = (long) (nIn * vDimFactor);
        require(qkDim >= numHeads && qkDim % numHeads == 0, "qkDimFactor",
                "such that nIn * qkDimFactor (" + qkDim + ") is a positive multiple of numHeads (" + numHeads + ")",
                qkDimFactor);
        require(vDim >= numHeads && vDim % numHeads == 0, "vDimFactor",
                "such that nIn * vDimFactor (" + vDim + ") is a positive multiple of numHeads (" + numHeads + ")",
                vDimFactor);
        require(normEps > 0, "normEps", "> 0", normEps);
        require(gateSoftCap > 0, "gateSoftCap", "> 0", gateSoftCap);
        require(chunkSize > 0, "chunkSize", "> 0", chunkSize);
        return new LargeMlstmShape(nIn, numHeads, qkDim, vDim, bias, normEps, gateSoftCap, chunkSize);
    }

    @Override
    public SequenceModule module() {
        return new LargeMlstmModule(shape(), "");
    }

    /** Options shared by {@link XlstmLargeMlstmLayer} and {@link XlstmLargeBlock}; defaults are the official ones. */
    @SuppressWarnings("unchecked")
    public abstract static class AbstractBuilder<T extends AbstractBuilder<T>> extends XlstmLayerConfig.Builder<T> {
        protected int numHeads = 4;
        protected double qkDimFactor = 0.5;
        protected double vDimFactor = 1.0;
        protected boolean bias;
        protected double normEps = 1e-6;
        protected double gateSoftCap = 15.0;
        protected int chunkSize = 64;

        /** The embedding size E: nIn = nOut = E. */
        public T size(long size) {
            nIn(size);
            return nOut(size);
        }

        /** Heads of the matrix memory (default 4); must divide the q/k and v sizes. */
        public T numHeads(int numHeads) {
            this.numHeads = numHeads;
            return (T) this;
        }

        /** q and k have int(qkDimFactor·E) features (default 0.5). */
        public T qkDimFactor(double qkDimFactor) {
            this.qkDimFactor = qkDimFactor;
            return (T) this;
        }

        /** v and the output gate have int(vDimFactor·E) features (default 1.0). */
        public T vDimFactor(double vDimFactor) {
            this.vDimFactor = vDimFactor;
            return (T) this;
        }

        /** Biases on the linear maps and norms (default false); the gate maps always have one. */
        public T bias(boolean bias) {
            this.bias = bias;
            return (T) this;
        }

        /** Epsilon of the norms (default 1e-6). */
        public T normEps(double normEps) {
            this.normEps = normEps;
            return (T) this;
        }

        /** Gate pre-activations a become cap·tanh(a / cap) (default 15). */
        public T gateSoftCap(double gateSoftCap) {
            this.gateSoftCap = gateSoftCap;
            return (T) this;
        }

        /** Chunk length of the chunkwise form (default 64): speed only, not results. */
        public T chunkSize(int chunkSize) {
            this.chunkSize = chunkSize;
            return (T) this;
        }
    }

    public static class Builder extends AbstractBuilder<Builder> {
        @Override
        @SuppressWarnings("unchecked")
        public XlstmLargeMlstmLayer build() {
            XlstmLargeMlstmLayer layer = new XlstmLargeMlstmLayer(this);
            if (layer.nIn > 0) {
                layer.shape();
            }
            return layer;
        }
    }
}
