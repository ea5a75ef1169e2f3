package org.xlstm.dl4j.large;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/** The xLSTM-Large soft cap {@code cap * tanh(a / cap)} of gate pre-activations and output logits. */
final class SoftCap {

    private SoftCap() {
    }

    static INDArray forward(INDArray a, double cap) {
        return Transforms.tanh(a.div(cap), false).muli(cap);
    }

    /** dL/da from dL/dy: {@code dy * (1 - tanh(a / cap)^2)}. */
    static INDArray backward(INDArray a, double cap, INDArray dy) {
        INDArray t = Transforms.tanh(a.div(cap), false);
        return t.muli(t).rsubi(1.0).muli(dy);
    }
}
