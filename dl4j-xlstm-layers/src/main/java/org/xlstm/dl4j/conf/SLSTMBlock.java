package org.xlstm.dl4j.conf;

import java.util.List;

import org.xlstm.dl4j.runtime.GatedFeedForwardModule;
import org.xlstm.dl4j.runtime.PreNormResidual;
import org.xlstm.dl4j.runtime.SLSTMModule;
import org.xlstm.dl4j.runtime.SequenceModule;
import org.xlstm.dl4j.runtime.SequentialModule;

import lombok.EqualsAndHashCode;
import lombok.Getter;
import lombok.Setter;

/**
 * The official sLSTM block: {@code x + sLSTMLayer(LayerNorm(x))}, then {@code x + GatedFFN(LayerNorm(x))}
 * with GatedFFN(x) = W_down(act(g) * u), [g, u] = W_up x, the feed-forward size projFactor·E rounded up
 * to a multiple of 64. Size-preserving (nOut = nIn).
 */
@Getter
@Setter
@EqualsAndHashCode(callSuper = true)
public class SLSTMBlock extends SLSTMLayer {
    public static final String NORM_WEIGHT = "lnW";
    public static final String FFN_NORM_WEIGHT = "ffnLnW";
    public static final String FFN_PREFIX = "ffn";

    protected double ffnProjFactor = 1.3;
    protected GatedFeedForwardModule.Activation ffnActivation = GatedFeedForwardModule.Activation.GELU;
    protected boolean ffnBias;

    protected SLSTMBlock() {
        // for JSON
    }

    protected SLSTMBlock(Builder builder) {
        super(builder);
        if (nOut <= 0) {
            nOut = nIn;
        }
        this.ffnProjFactor = builder.ffnProjFactor;
        this.ffnActivation = builder.ffnActivation;
        this.ffnBias = builder.ffnBias;
    }

    @Override
    protected void onNInSet() {
        nOut = nIn;
    }

    public long ffnInnerSize() {
        return MLSTMLayer.roundUpInner(ffnProjFactor, nIn);
    }

    @Override
    public SequenceModule module() {
        require(nIn == nOut, "nOut", "equal to nIn (" + nIn + ") for a residual block", nOut);
        require(ffnProjFactor > 0, "ffnProjFactor", "> 0", ffnProjFactor);
        require(ffnActivation != null, "ffnActivation", "set", null);
        SequenceModule cell = new PreNormResidual(new SLSTMModule(shape()), NORM_WEIGHT);
        SequenceModule ffn = new PreNormResidual(new GatedFeedForwardModule(nIn, ffnInnerSize(), ffnActivation,
                ffnBias, numBlocks, FFN_PREFIX), FFN_NORM_WEIGHT);
        return new SequentialModule(List.of(cell, ffn));
    }

    public static class Builder extends SLSTMLayer.AbstractBuilder<Builder> {
        protected double ffnProjFactor = 1.3;
        protected GatedFeedForwardModule.Activation ffnActivation = GatedFeedForwardModule.Activation.GELU;
        protected boolean ffnBias;

        /** The embedding size E: nIn = nOut = E. */
        public Builder size(long size) {
            nIn(size);
            return nOut(size);
        }

        /** Feed-forward up-projection factor (default 1.3, rounded up to a multiple of 64). */
        public Builder ffnProjFactor(double ffnProjFactor) {
            this.ffnProjFactor = ffnProjFactor;
            return this;
        }

        /** Feed-forward gate activation (default exact GELU). */
        public Builder ffnActivation(GatedFeedForwardModule.Activation ffnActivation) {
            this.ffnActivation = ffnActivation;
            return this;
        }

        /** Biases on the feed-forward projections (default false, as the official block). */
        public Builder ffnBias(boolean ffnBias) {
            this.ffnBias = ffnBias;
            return this;
        }

        @Override
        @SuppressWarnings("unchecked")
        public SLSTMBlock build() {
            SLSTMBlock block = new SLSTMBlock(this);
            if (block.nIn > 0) {
                block.module();
            }
            return block;
        }
    }
}
