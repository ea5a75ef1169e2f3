package org.xlstm.dl4j.runtime;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.xlstm.dl4j.ops.GroupNorm;
import org.xlstm.dl4j.backend.cpu.step.StepForms;
import org.xlstm.dl4j.backend.cpu.step.TokenStep;

/** xLSTM's LayerNorm over the features of each step: scale (1 + w), no bias. Stateless. */
public final class LayerNormModule implements SequenceModule {
    private final long size;
    private final String weight;

    public LayerNormModule(long size, String weight) {
        this.size = size;
        this.weight = weight;
    }

    @Override
    public long inputSize() {
        return size;
    }

    @Override
    public long outputSize() {
        return size;
    }

    @Override
    public List<ParamSpec> parameters() {
        return List.of(ParamSpec.weight(weight, OfficialInit.constant(0), 1, size));
    }

    @Override
    public ModuleForward forward(Map<String, INDArray> params, INDArray x, INDArray mask, Map<String, INDArray> state,
                                 boolean forBackward) {
        INDArray rows = x.reshape(x.size(0) * x.size(1), size);
        INDArray y = GroupNorm.forward(rows, params.get(weight), 1, MLSTMModule.NORM_EPS).reshape(x.shape());
        return new ModuleForward(MaskedSteps.zero(y, mask), Collections.emptyMap(),
                forBackward ? new INDArray[] {rows, mask} : null);
    }

    @Override
    public INDArray backward(Map<String, INDArray> params, ModuleForward forward, INDArray dy,
                             Map<String, INDArray> gradients) {
        INDArray rows = ((INDArray[]) forward.cache)[0];
        INDArray mask = ((INDArray[]) forward.cache)[1];
        return GroupNorm.backward(rows, params.get(weight), 1, MLSTMModule.NORM_EPS,
                MaskedSteps.zero(dy, mask).reshape(rows.shape()), gradients.get(weight)).reshape(dy.shape());
    }

    @Override
    public SDVariable define(SameDiff sd, SDVariable x, Map<String, SDVariable> params, SDVariable mask) {
        return MaskedSteps.zero(sd, GraphOps.groupNorm(sd, x, params.get(weight), 1, size, MLSTMModule.NORM_EPS), mask);
    }

    @Override
    public Optional<TokenStep> stepper() {
        return Optional.of(StepForms.layerNorm(size, weight));
    }
}
