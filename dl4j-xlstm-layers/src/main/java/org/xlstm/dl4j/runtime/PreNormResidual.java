package org.xlstm.dl4j.runtime;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiFunction;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.xlstm.dl4j.ops.GroupNorm;
import org.xlstm.dl4j.backend.cpu.step.StepForms;
import org.xlstm.dl4j.backend.cpu.step.TokenStep;

/** The xLSTM residual pattern {@code x + inner(LayerNorm(x))}, LayerNorm with scale (1 + w) and no bias. */
public final class PreNormResidual implements SequenceModule {
    private final SequenceModule inner;
    private final String normWeight;

    public PreNormResidual(SequenceModule inner, String normWeight) {
        if (inner.inputSize() != inner.outputSize()) {
            throw new IllegalArgumentException("A residual block needs a size-preserving inner module, got "
                    + inner.inputSize() + " -> " + inner.outputSize());
        }
        this.inner = inner;
        this.normWeight = normWeight;
    }

    @Override
    public long inputSize() {
        return inner.inputSize();
    }

    @Override
    public long outputSize() {
        return inner.outputSize();
    }

    @Override
    public List<ParamSpec> parameters() {
        List<ParamSpec> list = new ArrayList<>();
        list.add(ParamSpec.weight(normWeight, OfficialInit.constant(0), 1, inputSize()));
        list.addAll(inner.parameters());
        return list;
    }

    private static final class Cache {
        INDArray x2;
        ModuleForward inner;
        INDArray mask;
    }

    @Override
    public ModuleForward forward(Map<String, INDArray> params, INDArray x, INDArray mask, Map<String, INDArray> state,
                                 boolean forBackward) {
        Cache c = new Cache();
        c.x2 = x.reshape(x.size(0) * x.size(1), x.size(2));
        INDArray normed = GroupNorm.forward(c.x2, params.get(normWeight), 1, MLSTMModule.NORM_EPS);
        c.inner = inner.forward(params, normed.reshape(x.shape()), mask, state, forBackward);
        // A masked step outputs zero, not x.
        INDArray y = MaskedSteps.zero(c.inner.output.add(x), mask);
        c.mask = mask;
        return new ModuleForward(y, c.inner.finalState, forBackward ? c : null);
    }

    @Override
    public INDArray backward(Map<String, INDArray> params, ModuleForward forward, INDArray dy,
                             Map<String, INDArray> gradients) {
        return backward(params, forward, dy, gradients,
                (innerForward, dyKept) -> inner.backward(params, innerForward, dyKept, gradients));
    }

    @Override
    public boolean hasStateGradients() {
        return inner.hasStateGradients();
    }

    @Override
    public int timeAlignment() {
        return inner.timeAlignment();
    }

    /** The norm and the residual are stateless: the state gradients are the inner module's. */
    @Override
    public INDArray backward(Map<String, INDArray> params, ModuleForward forward, INDArray dy,
                             Map<String, INDArray> dFinalState, Map<String, INDArray> gradients,
                             Map<String, INDArray> dInitialState) {
        return backward(params, forward, dy, gradients, (innerForward, dyKept) ->
                inner.backward(params, innerForward, dyKept, dFinalState, gradients, dInitialState));
    }

    private INDArray backward(Map<String, INDArray> params, ModuleForward forward, INDArray dy,
                              Map<String, INDArray> gradients, BiFunction<ModuleForward, INDArray, INDArray> innerBackward) {
        Cache c = (Cache) forward.cache;
        INDArray dyKept = MaskedSteps.zero(dy, c.mask);
        INDArray dNormed = innerBackward.apply(c.inner, dyKept);
        INDArray dx2 = GroupNorm.backward(c.x2, params.get(normWeight), 1, MLSTMModule.NORM_EPS,
                dNormed.reshape(c.x2.shape()), gradients.get(normWeight));
        return dx2.reshape(dy.shape()).addi(dyKept);
    }

    @Override
    public SDVariable define(SameDiff sd, SDVariable x, Map<String, SDVariable> params, SDVariable mask) {
        SDVariable normed = GraphOps.groupNorm(sd, x, params.get(normWeight), 1, inputSize(), MLSTMModule.NORM_EPS);
        return MaskedSteps.zero(sd, x.add(inner.define(sd, normed, params, mask)), mask);
    }

    @Override
    public Optional<TokenStep> stepper() {
        return inner.stepper().map(step -> StepForms.residual(inputSize(), normWeight, step));
    }
}
