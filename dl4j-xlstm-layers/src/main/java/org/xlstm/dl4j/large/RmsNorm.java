package org.xlstm.dl4j.large;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The xLSTM-Large RMSNorm over the features of each row: {@code y = x / sqrt(mean(x^2) + eps) * w + b}, with
 * x [N, F], w [1, F] and b [1, F] or null (the official norm has a bias only when {@code use_bias}).
 */
final class RmsNorm {

    private RmsNorm() {
    }

    static INDArray forward(INDArray x, INDArray w, INDArray b, double eps) {
        INDArray y = normalized(x, inverseRms(x, eps)).muliRowVector(w);
        return b == null ? y : y.addiRowVector(b);
    }

    /** Writes dW (and dB unless null) and returns dx [N, F]; the row statistics are recomputed. */
    static INDArray backward(INDArray x, INDArray w, double eps, INDArray dy, INDArray dW, INDArray dB) {
        INDArray r = inverseRms(x, eps);
        INDArray xhat = normalized(x, r);
        dW.assign(dy.mul(xhat).sum(0).reshape(dW.shape()));
        if (dB != null) {
            dB.assign(dy.sum(0).reshape(dB.shape()));
        }
        // With g = dL/dxhat: dx = r * (g - xhat * mean(g * xhat)), the mean over each row.
        INDArray g = dy.mulRowVector(w);
        INDArray projection = g.mul(xhat).mean(1);
        return g.subi(xhat.muliColumnVector(projection)).muliColumnVector(r);
    }

    /** 1 / sqrt(mean(x^2) + eps) per row, [N]. */
    private static INDArray inverseRms(INDArray x, double eps) {
        return Transforms.pow(x.mul(x).mean(1).addi(eps), -0.5, false);
    }

    private static INDArray normalized(INDArray x, INDArray inverseRms) {
        return x.mulColumnVector(inverseRms);
    }
}
