package org.xlstm.dl4j.large;

import org.xlstm.dl4j.runtime.SequenceModule;

import lombok.EqualsAndHashCode;
import lombok.Getter;
import lombok.Setter;

/**
 * The xLSTM-Large residual block, {@code x + mLSTM(RMSNorm(x))} then {@code x + FFN(RMSNorm(x))} with the
 * SwiGLU feed-forward {@code down(silu(gate(x)) * up(x))}: size-preserving, all options of
 * {@link XlstmLargeMlstmLayer} plus the feed-forward's inner size.
 */
@Getter
@Setter
@EqualsAndHashCode(callSuper = true)
public class XlstmLargeBlock extends XlstmLargeMlstmLayer {
    protected double ffnProjFactor = 2.6667;
    protected int ffnRoundUpToMultipleOf = 64;

    protected XlstmLargeBlock() {
        // for JSON
    }

    protected XlstmLargeBlock(Builder builder) {
        super(builder);
        this.ffnProjFactor = builder.ffnProjFactor;
        this.ffnRoundUpToMultipleOf = builder.ffnRoundUpToMultipleOf;
    }

    /** E·ffnProjFactor rounded up to a multiple of ffnRoundUpToMultipleOf, as the official code sizes it. */
    public long ffnUpDim() {
        double raw = nIn * ffnProjFactor;
        int m = ffnRoundUpToMultipleOf;
        return (long) (Math.floor((raw + m - 1) / m) * m);
    }

    @Override
    public SequenceModule module() {
        LargeMlstmShape shape = shape();
        require(ffnProjFactor > 0, "ffnProjFactor", "> 0", ffnProjFactor);
        require(ffnRoundUpToMultipleOf > 0, "ffnRoundUpToMultipleOf", "> 0", ffnRoundUpToMultipleOf);
        return new LargeBlockModule(shape, ffnUpDim());
    }

    public static class Builder extends XlstmLargeMlstmLayer.AbstractBuilder<Builder> {
        protected double ffnProjFactor = 2.6667;
        protected int ffnRoundUpToMultipleOf = 64;

        /** Feed-forward inner size factor (default 2.6667). */
        public Builder ffnProjFactor(double ffnProjFactor) {
            this.ffnProjFactor = ffnProjFactor;
            return this;
        }

        /** The feed-forward inner size is rounded up to a multiple of this (default 64). */
        public Builder ffnRoundUpToMultipleOf(int multiple) {
            this.ffnRoundUpToMultipleOf = multiple;
            return this;
        }

        @Override
        @SuppressWarnings("unchecked")
        public XlstmLargeBlock build() {
            XlstmLargeBlock block = new XlstmLargeBlock(this);
            if (block.nIn > 0) {
                block.module();
            }
            return block;
        }
    }
}
