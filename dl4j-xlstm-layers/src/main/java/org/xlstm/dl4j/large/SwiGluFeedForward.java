package org.xlstm.dl4j.large;

import java.util.List;
import java.util.Map;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.xlstm.dl4j.ops.Activations;
import org.xlstm.dl4j.ops.Linear;
import org.xlstm.dl4j.runtime.OfficialInit;
import org.xlstm.dl4j.runtime.ParamSpec;

/**
 * The xLSTM-Large feed-forward on rows [N, E]: {@code down(silu(upGate(x)) * up(x))}, inner size
 * {@code upDim}, biases only with use_bias.
 */
final class SwiGluFeedForward {
    private final long embeddingDim;
    private final long upDim;
    private final boolean bias;

    SwiGluFeedForward(long embeddingDim, long upDim, boolean bias) {
        this.embeddingDim = embeddingDim;
        this.upDim = upDim;
        this.bias = bias;
    }

    void addParameters(List<ParamSpec> list) {
        for (String name : new String[] {"upGate", "up"}) {
            list.add(ParamSpec.weight(name + "W", OfficialInit.smallInit(embeddingDim), embeddingDim, upDim));
            if (bias) {
                list.add(ParamSpec.bias(name + "B", OfficialInit.constant(0), 1, upDim));
            }
        }
        list.add(ParamSpec.weight("downW", OfficialInit.smallInit(upDim), upDim, embeddingDim));
        if (bias) {
            list.add(ParamSpec.bias("downB", OfficialInit.constant(0), 1, embeddingDim));
        }
    }

    /** What the backward pass needs of one forward pass. */
    static final class Pass {
        final INDArray x;
        final INDArray gatePre;
        final INDArray up;
        final INDArray inner;
        final INDArray output;

        Pass(INDArray x, INDArray gatePre, INDArray up, INDArray inner, INDArray output) {
            this.x = x;
            this.gatePre = gatePre;
            this.up = up;
            this.inner = inner;
            this.output = output;
        }
    }

    Pass forward(Map<String, INDArray> params, INDArray x) {
        INDArray gatePre = Linear.forward(x, params.get("upGateW"), opt(params, "upGateB"));
        INDArray up = Linear.forward(x, params.get("upW"), opt(params, "upB"));
        INDArray inner = Activations.silu(gatePre).muli(up);
        return new Pass(x, gatePre, up, inner, Linear.forward(inner, params.get("downW"), opt(params, "downB")));
    }

    /** Writes the parameter gradients and returns dx [N, E]. */
    INDArray backward(Map<String, INDArray> params, Pass pass, INDArray dy, Map<String, INDArray> grads) {
        INDArray dInner = Linear.backward(pass.inner, params.get("downW"), dy, grads.get("downW"),
                opt(grads, "downB"));
        INDArray dUp = dInner.mul(Activations.silu(pass.gatePre));
        INDArray dGatePre = Activations.siluBackward(pass.gatePre, dInner.muli(pass.up));
        INDArray dx = Linear.backward(pass.x, params.get("upGateW"), dGatePre, grads.get("upGateW"),
                opt(grads, "upGateB"));
        return dx.addi(Linear.backward(pass.x, params.get("upW"), dUp, grads.get("upW"), opt(grads, "upB")));
    }

    private INDArray opt(Map<String, INDArray> map, String name) {
        return bias ? map.get(name) : null;
    }
}
