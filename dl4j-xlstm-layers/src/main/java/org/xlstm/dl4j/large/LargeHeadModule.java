package org.xlstm.dl4j.large;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.xlstm.dl4j.ops.Linear;
import org.xlstm.dl4j.runtime.ModuleForward;
import org.xlstm.dl4j.runtime.OfficialInit;
import org.xlstm.dl4j.runtime.ParamSpec;
import org.xlstm.dl4j.runtime.SequenceModule;

/**
 * The end of the xLSTM-Large model: the optional output RMSNorm, the linear head without bias and the
 * logit soft cap, x [B, T, E] to logits [B, T, V]. Stateless.
 */
final class LargeHeadModule implements SequenceModule {
    private final long embeddingDim;
    private final long vocabSize;
    private final boolean outNorm;
    private final boolean normBias;
    private final double normEps;
    private final double logitSoftCap;

    LargeHeadModule(long embeddingDim, long vocabSize, boolean outNorm, boolean normBias, double normEps,
                    double logitSoftCap) {
        this.embeddingDim = embeddingDim;
        this.vocabSize = vocabSize;
        this.outNorm = outNorm;
        this.normBias = normBias;
        this.normEps = normEps;
        this.logitSoftCap = logitSoftCap;
    }

    @Override
    public long inputSize() {
        return embeddingDim;
    }

    @Override
    public long outputSize() {
        return vocabSize;
    }

    @Override
    public List<ParamSpec> parameters() {
        List<ParamSpec> list = new ArrayList<>();
        if (outNorm) {
            list.add(ParamSpec.weight("normW", OfficialInit.constant(1), 1, embeddingDim));
            if (normBias) {
                list.add(ParamSpec.bias("normB", OfficialInit.constant(0), 1, embeddingDim));
            }
        }
        list.add(ParamSpec.weight("headW", OfficialInit.smallInit(embeddingDim), embeddingDim, vocabSize));
        return list;
    }

    /** Values of one forward pass that the backward pass reuses. */
    private static final class Cache {
        INDArray x2;
        INDArray normed;
        INDArray rawLogits;
    }

    @Override
    public ModuleForward forward(Map<String, INDArray> params, INDArray x, INDArray mask, Map<String, INDArray> state,
                                 boolean forBackward) {
        long b = x.size(0);
        long t = x.size(1);
        Cache c = new Cache();
        c.x2 = x.reshape(b * t, embeddingDim);
        c.normed = outNorm ? RmsNorm.forward(c.x2, params.get("normW"), bias(params), normEps) : c.x2;
        c.rawLogits = Linear.forward(c.normed, params.get("headW"), null);
        INDArray logits = SoftCap.forward(c.rawLogits, logitSoftCap);
        return new ModuleForward(logits.reshape(b, t, vocabSize), Collections.emptyMap(), forBackward ? c : null);
    }

    @Override
    public INDArray backward(Map<String, INDArray> params, ModuleForward forward, INDArray dy,
                             Map<String, INDArray> grads) {
        Cache c = (Cache) forward.cache;
        long b = dy.size(0);
        long t = dy.size(1);
        INDArray dRaw = SoftCap.backward(c.rawLogits, logitSoftCap, dy.reshape(b * t, vocabSize));
        INDArray dNormed = Linear.backward(c.normed, params.get("headW"), dRaw, grads.get("headW"), null);
        INDArray dx = outNorm ? RmsNorm.backward(c.x2, params.get("normW"), normEps, dNormed, grads.get("normW"),
                bias(grads)) : dNormed;
        return dx.reshape(b, t, embeddingDim);
    }

    @Override
    public SDVariable define(SameDiff sd, SDVariable x, Map<String, SDVariable> params, SDVariable mask) {
        throw new UnsupportedOperationException("The xLSTM-Large head has no SameDiff form; its reference is the"
                + " official implementation's conformance vectors");
    }

    private INDArray bias(Map<String, INDArray> map) {
        return normBias ? map.get("normB") : null;
    }
}
