package org.xlstm.dl4j.runtime;

import java.util.function.Consumer;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The initialisations of the official xLSTM implementation, as in-place initialisers for {@link ParamSpec}.
 */
public final class OfficialInit {

    private OfficialInit() {
    }

    /** Normal with std sqrt(2 / (5 * dim)) ("small init", Nguyen and Salazar 2019). */
    public static Consumer<INDArray> smallInit(long dim) {
        double std = Math.sqrt(2.0 / (5.0 * dim));
        return view -> view.assign(Nd4j.randn(view.dataType(), view.shape()).muli(std));
    }

    /** Normal with std 2 / (numBlocks * sqrt(dim)) ("wang init", for projections into the residual stream). */
    public static Consumer<INDArray> wangInit(long dim, int numBlocks) {
        double std = 2.0 / numBlocks / Math.sqrt(dim);
        return view -> view.assign(Nd4j.randn(view.dataType(), view.shape()).muli(std));
    }

    public static Consumer<INDArray> constant(double value) {
        return view -> view.assign(value);
    }

    public static Consumer<INDArray> normal(double mean, double std) {
        return view -> view.assign(Nd4j.randn(view.dataType(), view.shape()).muli(std).addi(mean));
    }

    /** Evenly spaced from start to end over all elements (the mLSTM forget-gate bias, one value per head). */
    public static Consumer<INDArray> linspace(double start, double end) {
        return view -> {
            long n = view.length();
            if (n == 1) {
                view.assign(start);
            } else {
                view.assign(Nd4j.linspace(start, end, n, view.dataType()).reshape(view.shape()));
            }
        };
    }

    /** PyTorch's default for a depthwise conv1d: uniform in +-1/sqrt(kernel size) for weights and bias. */
    public static Consumer<INDArray> convDefault(long kernelSize) {
        double bound = 1.0 / Math.sqrt(kernelSize);
        return view -> view.assign(Nd4j.rand(view.dataType(), view.shape()).muli(2 * bound).subi(bound));
    }
}
