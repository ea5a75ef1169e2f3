package org.xlstm.dl4j.conf;

import org.xlstm.dl4j.runtime.MLSTMModule;
import org.xlstm.dl4j.runtime.PreNormResidual;
import org.xlstm.dl4j.runtime.SequenceModule;

import lombok.EqualsAndHashCode;

/**
 * The official mLSTM residual block, {@code x + mLSTMLayer(LayerNorm(x))}: size-preserving
 * (nOut = nIn), with all the options of {@link MLSTMLayer}.
 */
@EqualsAndHashCode(callSuper = true)
public class MLSTMBlock extends MLSTMLayer {
    /** Name of the pre-norm weight in the parameter table. */
    public static final String NORM_WEIGHT = "lnW";

    protected MLSTMBlock() {
        // for JSON
    }

    protected MLSTMBlock(Builder builder) {
        super(builder);
        if (nOut <= 0) {
            nOut = nIn;
        }
    }

    @Override
    protected void onNInSet() {
        nOut = nIn;
    }

    @Override
    public SequenceModule module() {
        require(nIn == nOut, "nOut", "equal to nIn (" + nIn + ") for a residual block", nOut);
        return new PreNormResidual(new MLSTMModule(shape(), ""), NORM_WEIGHT);
    }

    public static class Builder extends MLSTMLayer.AbstractBuilder<Builder> {
        /** The embedding size E: nIn = nOut = E. */
        public Builder size(long size) {
            nIn(size);
            return nOut(size);
        }

        @Override
        @SuppressWarnings("unchecked")
        public MLSTMBlock build() {
            MLSTMBlock block = new MLSTMBlock(this);
            if (block.nIn > 0) {
                block.module();
            }
            return block;
        }
    }
}
