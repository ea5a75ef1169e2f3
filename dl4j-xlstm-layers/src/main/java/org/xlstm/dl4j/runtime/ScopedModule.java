package org.xlstm.dl4j.runtime;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A module whose parameter and state names are prefixed, so that several instances of the same module (the
 * blocks of a stack) can live in one layer: parameter {@code upW} of scope {@code b3} is {@code b3UpW} (no
 * '_', see {@link ParamSpec}), state {@code C} is {@code b3.C}.
 */
public final class ScopedModule implements SequenceModule {
    private final SequenceModule inner;
    private final String scope;
    private final List<String> innerNames;

    public ScopedModule(SequenceModule inner, String scope) {
        this.inner = inner;
        this.scope = scope;
        this.innerNames = inner.parameters().stream().map(ParamSpec::name).collect(Collectors.toList());
        if (innerNames.stream().map(this::scoped).distinct().count() != innerNames.size()) {
            throw new IllegalArgumentException("Parameter names " + innerNames + " differ only in the case of their"
                    + " first letter and cannot be scoped");
        }
    }

    /** The outer name of an inner module's parameter {@code name} in {@code scope}. */
    public static String scopedName(String scope, String name) {
        return scope + Character.toUpperCase(name.charAt(0)) + name.substring(1);
    }

    private String scoped(String name) {
        return scopedName(scope, name);
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
        return inner.parameters().stream().map(p -> p.isBias() ? ParamSpec.bias(scoped(p.name()), p::initialize,
                p.shape()) : ParamSpec.weight(scoped(p.name()), p::initialize, p.shape())).collect(Collectors.toList());
    }

    private <T> Map<String, T> innerView(Map<String, T> outer) {
        Map<String, T> view = new HashMap<>();
        for (String name : innerNames) {
            view.put(name, outer.get(scoped(name)));
        }
        return view;
    }

    @Override
    public ModuleForward forward(Map<String, INDArray> params, INDArray x, INDArray mask, Map<String, INDArray> state,
                                 boolean forBackward) {
        Map<String, INDArray> innerState = null;
        String statePrefix = scope + ".";
        if (state != null) {
            innerState = new HashMap<>();
            for (Map.Entry<String, INDArray> e : state.entrySet()) {
                if (e.getKey().startsWith(statePrefix)) {
                    innerState.put(e.getKey().substring(statePrefix.length()), e.getValue());
                }
            }
        }
        ModuleForward f = inner.forward(innerView(params), x, mask, innerState, forBackward);
        Map<String, INDArray> finalState = new LinkedHashMap<>();
        for (Map.Entry<String, INDArray> e : f.finalState.entrySet()) {
            finalState.put(statePrefix + e.getKey(), e.getValue());
        }
        return new ModuleForward(f.output, finalState, f.cache);
    }

    @Override
    public INDArray backward(Map<String, INDArray> params, ModuleForward forward, INDArray dy,
                             Map<String, INDArray> gradients) {
        return inner.backward(innerView(params), forward, dy, innerView(gradients));
    }

    @Override
    public SDVariable define(SameDiff sd, SDVariable x, Map<String, SDVariable> params, SDVariable mask) {
        return inner.define(sd, x, innerView(params), mask);
    }
}
