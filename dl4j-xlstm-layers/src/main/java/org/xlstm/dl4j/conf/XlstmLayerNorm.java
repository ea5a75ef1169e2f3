package org.xlstm.dl4j.conf;

import org.xlstm.dl4j.runtime.LayerNormModule;
import org.xlstm.dl4j.runtime.SequenceModule;

import lombok.EqualsAndHashCode;

/**
 * The LayerNorm xLSTM puts after its block stack (scale 1 + w, no bias, eps 1e-5), applied to each time
 * step of a sequence. Size-preserving.
 */
@EqualsAndHashCode(callSuper = true)
public class XlstmLayerNorm extends XlstmLayerConfig {
    public static final String WEIGHT = "w";

    protected XlstmLayerNorm() {
        // for JSON
    }

    protected XlstmLayerNorm(Builder builder) {
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
        requireSizesSet();
        require(nIn == nOut, "nOut", "equal to nIn (" + nIn + ")", nOut);
        return new LayerNormModule(nIn, WEIGHT);
    }

    public static class Builder extends XlstmLayerConfig.Builder<Builder> {
        public Builder size(long size) {
            nIn(size);
            return nOut(size);
        }

        @Override
        @SuppressWarnings("unchecked")
        public XlstmLayerNorm build() {
            return new XlstmLayerNorm(this);
        }
    }
}
