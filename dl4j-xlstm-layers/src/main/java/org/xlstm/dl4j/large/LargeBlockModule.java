package org.xlstm.dl4j.large;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.xlstm.dl4j.runtime.ModuleForward;
import org.xlstm.dl4j.runtime.OfficialInit;
import org.xlstm.dl4j.runtime.ParamSpec;
import org.xlstm.dl4j.runtime.SequenceModule;

/**
 * The xLSTM-Large block: {@code x + mLSTM(RMSNorm(x))}, then {@code x + FFN(RMSNorm(x))}. Its recurrent
 * state is the mLSTM layer's.
 */
final class LargeBlockModule implements SequenceModule {
    private final LargeMlstmShape shape;
    private final LargeMlstmModule mlstm;
    private final SwiGluFeedForward ffn;

    LargeBlockModule(LargeMlstmShape shape, long ffnUpDim) {
        this.shape = shape;
        this.mlstm = new LargeMlstmModule(shape, "");
        this.ffn = new SwiGluFeedForward(shape.embeddingDim, ffnUpDim, shape.bias);
    }

    @Override
    public long inputSize() {
        return shape.embeddingDim;
    }

    @Override
    public long outputSize() {
        return shape.embeddingDim;
    }

    @Override
    public List<ParamSpec> parameters() {
        List<ParamSpec> list = new ArrayList<>();
        addNorm(list, "mnorm");
        list.addAll(mlstm.parameters());
        addNorm(list, "fnorm");
        ffn.addParameters(list);
        return list;
    }

    private void addNorm(List<ParamSpec> list, String name) {
        list.add(ParamSpec.weight(name + "W", OfficialInit.constant(1), 1, shape.embeddingDim));
        if (shape.bias) {
            list.add(ParamSpec.bias(name + "B", OfficialInit.constant(0), 1, shape.embeddingDim));
        }
    }

    /** Values of one forward pass that the backward pass reuses. */
    private static final class Cache {
        INDArray x2;
        ModuleForward mlstm;
        INDArray afterMlstm;
        SwiGluFeedForward.Pass ffn;
    }

    @Override
    public ModuleForward forward(Map<String, INDArray> params, INDArray x, INDArray mask, Map<String, INDArray> state,
                                 boolean forBackward) {
        long b = x.size(0);
        long t = x.size(1);
        long e = shape.embeddingDim;
        Cache c = new Cache();
        c.x2 = x.reshape(b * t, e);
        INDArray normed = RmsNorm.forward(c.x2, params.get("mnormW"), norm(params, "mnormB"), shape.normEps);
        c.mlstm = mlstm.forward(params, normed.reshape(b, t, e), mask, state, forBackward);
        c.afterMlstm = c.mlstm.output.reshape(b * t, e).add(c.x2);
        INDArray ffnIn = RmsNorm.forward(c.afterMlstm, params.get("fnormW"), norm(params, "fnormB"), shape.normEps);
        c.ffn = ffn.forward(params, ffnIn);
        INDArray y = c.ffn.output.addi(c.afterMlstm);
        return new ModuleForward(y.reshape(b, t, e), c.mlstm.finalState, forBackward ? c : null);
    }

    @Override
    public INDArray backward(Map<String, INDArray> params, ModuleForward forward, INDArray dy,
                             Map<String, INDArray> grads) {
        Cache c = (Cache) forward.cache;
        long b = dy.size(0);
        long t = dy.size(1);
        long e = shape.embeddingDim;
        INDArray dy2 = dy.reshape(b * t, e).dup('c');
        INDArray dFfnIn = ffn.backward(params, c.ffn, dy2, grads);
        INDArray dAfterMlstm = RmsNorm.backward(c.afterMlstm, params.get("fnormW"), shape.normEps, dFfnIn,
                grads.get("fnormW"), norm(grads, "fnormB")).addi(dy2);
        INDArray dNormed = mlstm.backward(params, c.mlstm, dAfterMlstm.reshape(b, t, e), grads).reshape(b * t, e);
        INDArray dx = RmsNorm.backward(c.x2, params.get("mnormW"), shape.normEps, dNormed, grads.get("mnormW"),
                norm(grads, "mnormB")).addi(dAfterMlstm);
        return dx.reshape(b, t, e);
    }

    @Override
    public SDVariable define(SameDiff sd, SDVariable x, Map<String, SDVariable> params, SDVariable mask) {
        return mlstm.define(sd, x, params, mask);
    }

    private INDArray norm(Map<String, INDArray> map, String name) {
        return shape.bias ? map.get(name) : null;
    }
}
