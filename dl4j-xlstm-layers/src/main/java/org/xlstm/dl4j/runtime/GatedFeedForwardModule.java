package org.xlstm.dl4j.runtime;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.xlstm.dl4j.ops.Activations;
import org.xlstm.dl4j.ops.Linear;
import org.xlstm.dl4j.backend.cpu.step.StepForms;
import org.xlstm.dl4j.backend.cpu.step.TokenStep;

/** The gated feed-forward of the sLSTM block: {@code W_down(act(g) * u)} with {@code [g, u] = W_up x}. Stateless. */
public final class GatedFeedForwardModule implements SequenceModule {
    /** The gate activations the official block offers that this library implements. */
    public enum Activation {
        GELU, SILU
    }

    private final long size;
    private final long inner;
    private final Activation activation;
    private final boolean bias;
    private final int numBlocks;
    private final String prefix;

    public GatedFeedForwardModule(long size, long inner, Activation activation, boolean bias, int numBlocks,
                                  String prefix) {
        this.size = size;
        this.inner = inner;
        this.activation = activation;
        this.bias = bias;
        this.numBlocks = numBlocks;
        this.prefix = prefix;
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
        List<ParamSpec> list = new ArrayList<>();
        list.add(ParamSpec.weight(prefix + "UpW", OfficialInit.smallInit(size), size, 2 * inner));
        if (bias) {
            list.add(ParamSpec.bias(prefix + "UpB", OfficialInit.constant(0), 1, 2 * inner));
        }
        list.add(ParamSpec.weight(prefix + "DownW", OfficialInit.wangInit(size, numBlocks), inner, size));
        if (bias) {
            list.add(ParamSpec.bias(prefix + "DownB", OfficialInit.constant(0), 1, size));
        }
        return list;
    }

    private static final class Cache {
        INDArray x2;
        INDArray gate;
        INDArray activated;
        INDArray up;
        INDArray product;
    }

    @Override
    public ModuleForward forward(Map<String, INDArray> params, INDArray x, INDArray mask, Map<String, INDArray> state,
                                 boolean forBackward) {
        Cache c = new Cache();
        c.x2 = x.reshape(x.size(0) * x.size(1), size);
        INDArray[] halves = Linear.forwardHalves(c.x2, params.get(prefix + "UpW"),
                bias ? params.get(prefix + "UpB") : null);
        c.gate = halves[0];
        c.up = halves[1];
        c.activated = activation == Activation.GELU ? Activations.gelu(c.gate) : Activations.silu(c.gate);
        c.product = c.activated.mul(c.up);
        INDArray y = Linear.forward(c.product, params.get(prefix + "DownW"), bias ? params.get(prefix + "DownB") : null);
        return new ModuleForward(y.reshape(x.shape()), Collections.emptyMap(), forBackward ? c : null);
    }

    @Override
    public INDArray backward(Map<String, INDArray> params, ModuleForward forward, INDArray dy,
                             Map<String, INDArray> grads) {
        Cache c = (Cache) forward.cache;
        INDArray dProduct = Linear.backward(c.product, params.get(prefix + "DownW"), dy.reshape(c.x2.size(0), size),
                grads.get(prefix + "DownW"), bias ? grads.get(prefix + "DownB") : null);
        INDArray dUp = dProduct.mul(c.activated);
        INDArray dActivated = dProduct.muli(c.up);
        INDArray dGate = activation == Activation.GELU ? Activations.geluBackward(c.gate, dActivated)
                : Activations.siluBackward(c.gate, dActivated);
        INDArray dBoth = org.nd4j.linalg.factory.Nd4j.concat(1, dGate, dUp);
        INDArray dx = Linear.backward(c.x2, params.get(prefix + "UpW"), dBoth, grads.get(prefix + "UpW"),
                bias ? grads.get(prefix + "UpB") : null);
        return dx.reshape(dy.shape());
    }

    @Override
    public SDVariable define(SameDiff sd, SDVariable x, Map<String, SDVariable> params, SDVariable mask) {
        SDVariable both = GraphOps.linear(sd, x, params.get(prefix + "UpW"), bias ? params.get(prefix + "UpB") : null);
        SDVariable gate = sd.stridedSlice(both, new long[] {0, 0, 0}, new long[] {0, 0, inner}, new long[] {1, 1, 1},
                3, 3, 0, 0, 0);
        SDVariable up = sd.stridedSlice(both, new long[] {0, 0, inner}, new long[] {0, 0, 2 * inner},
                new long[] {1, 1, 1}, 3, 3, 0, 0, 0);
        SDVariable act = activation == Activation.GELU ? GraphOps.gelu(sd, gate) : GraphOps.silu(sd, gate);
        return GraphOps.linear(sd, act.mul(up), params.get(prefix + "DownW"), bias ? params.get(prefix + "DownB") : null);
    }

    @Override
    public Optional<TokenStep> stepper() {
        return Optional.of(StepForms.feedForward(size, inner, activation, bias, prefix));
    }
}
