package org.xlstm.dl4j.large;

import org.xlstm.dl4j.conf.XlstmLayerConfig;
import org.xlstm.dl4j.runtime.SequenceModule;

import lombok.EqualsAndHashCode;
import lombok.Getter;
import lombok.Setter;

/**
 * The output end of the xLSTM-Large model as a DL4J layer: optional RMSNorm (the official {@code out_norm}),
 * a linear head without bias to nOut = vocabulary size, and the logit soft cap {@code cap·tanh(z / cap)}.
 * Input [minibatch, E, time], output the logits [minibatch, V, time] (NCW).
 */
@Getter
@Setter
@EqualsAndHashCode(callSuper = true)
public class XlstmLargeHead extends XlstmLayerConfig {
    protected boolean outNorm = true;
    protected boolean normBias;
    protected double normEps = 1e-6;
    protected double logitSoftCap = 30.0;

    protected XlstmLargeHead() {
        // for JSON
    }

    protected XlstmLargeHead(Builder builder) {
        super(builder);
        this.outNorm = builder.outNorm;
        this.normBias = builder.normBias;
        this.normEps = builder.normEps;
        this.logitSoftCap = builder.logitSoftCap;
    }

    @Override
    public SequenceModule module() {
        requireSizesSet();
        require(normEps > 0, "normEps", "> 0", normEps);
        require(logitSoftCap > 0, "logitSoftCap", "> 0", logitSoftCap);
        return new LargeHeadModule(nIn, nOut, outNorm, normBias, normEps, logitSoftCap);
    }

    public static class Builder extends XlstmLayerConfig.Builder<Builder> {
        protected boolean outNorm = true;
        protected boolean normBias;
        protected double normEps = 1e-6;
        protected double logitSoftCap = 30.0;

        /** Whether an RMSNorm precedes the head (default true, official add_out_norm). */
        public Builder outNorm(boolean outNorm) {
            this.outNorm = outNorm;
            return this;
        }

        /** Whether that norm has a bias (official use_bias; default false). */
        public Builder normBias(boolean normBias) {
            this.normBias = normBias;
            return this;
        }

        public Builder normEps(double normEps) {
            this.normEps = normEps;
            return this;
        }

        /** Logits z become cap·tanh(z / cap) (default 30, official output_logit_soft_cap). */
        public Builder logitSoftCap(double logitSoftCap) {
            this.logitSoftCap = logitSoftCap;
            return this;
        }

        @Override
        @SuppressWarnings("unchecked")
        public XlstmLargeHead build() {
            XlstmLargeHead head = new XlstmLargeHead(this);
            if (head.nIn > 0 && head.nOut > 0) {
                head.module();
            }
            return head;
        }
    }
}
