package org.xlstm.dl4j.runtime;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.xlstm.dl4j.backend.cpu.step.StepForms;
import org.xlstm.dl4j.backend.cpu.step.TokenStep;

/** Modules applied one after another; their parameter and state names must not collide. */
public final class SequentialModule implements SequenceModule {
    private final List<SequenceModule> modules;

    public SequentialModule(List<SequenceModule> modules) {
        for (int i = 1; i < modules.size(); i++) {
            if (modules.get(i).inputSize() != modules.get(i - 1).outputSize()) {
                throw new IllegalArgumentException("Module " + i + " takes " + modules.get(i).inputSize()
                        + " features but module " + (i - 1) + " produces " + modules.get(i - 1).outputSize());
            }
        }
        this.modules = List.copyOf(modules);
    }

    @Override
    public long inputSize() {
        return modules.get(0).inputSize();
    }

    @Override
    public long outputSize() {
        return modules.get(modules.size() - 1).outputSize();
    }

    @Override
    public List<ParamSpec> parameters() {
        List<ParamSpec> list = new ArrayList<>();
        for (SequenceModule m : modules) {
            list.addAll(m.parameters());
        }
        return list;
    }

    @Override
    public ModuleForward forward(Map<String, INDArray> params, INDArray x, INDArray mask, Map<String, INDArray> state,
                                 boolean forBackward) {
        List<ModuleForward> steps = new ArrayList<>();
        Map<String, INDArray> finalState = new HashMap<>();
        INDArray current = x;
        for (SequenceModule m : modules) {
            ModuleForward f = m.forward(params, current, mask, state, forBackward);
            steps.add(f);
            finalState.putAll(f.finalState);
            current = f.output;
        }
        return new ModuleForward(current, finalState, forBackward ? steps : null);
    }

    @Override
    @SuppressWarnings("unchecked")
    public INDArray backward(Map<String, INDArray> params, ModuleForward forward, INDArray dy,
                             Map<String, INDArray> gradients) {
        List<ModuleForward> steps = (List<ModuleForward>) forward.cache;
        INDArray d = dy;
        for (int i = modules.size() - 1; i >= 0; i--) {
            d = modules.get(i).backward(params, steps.get(i), d, gradients);
        }
        return d;
    }

    @Override
    public SDVariable define(SameDiff sd, SDVariable x, Map<String, SDVariable> params, SDVariable mask) {
        SDVariable current = x;
        for (SequenceModule m : modules) {
            current = m.define(sd, current, params, mask);
        }
        return current;
    }

    /** A step form only when every module has one. */
    @Override
    public Optional<TokenStep> stepper() {
        List<TokenStep> steps = new ArrayList<>();
        int[] intermediateSizes = new int[modules.size() - 1];
        for (int i = 0; i < modules.size(); i++) {
            Optional<TokenStep> step = modules.get(i).stepper();
            if (step.isEmpty()) {
                return Optional.empty();
            }
            steps.add(step.get());
            if (i < intermediateSizes.length) {
                intermediateSizes[i] = (int) modules.get(i).outputSize();
            }
        }
        return Optional.of(StepForms.sequential(steps, intermediateSizes));
    }
}
