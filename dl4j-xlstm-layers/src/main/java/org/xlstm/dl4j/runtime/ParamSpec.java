package org.xlstm.dl4j.runtime;

import java.util.Arrays;
import java.util.function.Consumer;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One trainable parameter of a {@link SequenceModule}: its name in the layer's parameter table, its shape,
 * whether DL4J should treat it as a bias (regularisation, bias updater), and how to initialise it in place.
 */
public final class ParamSpec {
    private final String name;
    private final long[] shape;
    private final boolean bias;
    private final Consumer<INDArray> initializer;

    private ParamSpec(String name, long[] shape, boolean bias, Consumer<INDArray> initializer) {
        if (name.indexOf('_') >= 0) {
            // DL4J keys gradients "<layer>_<param>" and its updaters split them at the last '_'
            throw new IllegalArgumentException("Parameter name '" + name + "' must not contain '_'");
        }
        this.name = name;
        this.shape = shape;
        this.bias = bias;
        this.initializer = initializer;
    }

    public static ParamSpec weight(String name, Consumer<INDArray> initializer, long... shape) {
        return new ParamSpec(name, shape, false, initializer);
    }

    public static ParamSpec bias(String name, Consumer<INDArray> initializer, long... shape) {
        return new ParamSpec(name, shape, true, initializer);
    }

    public String name() {
        return name;
    }

    public long[] shape() {
        return shape.clone();
    }

    public boolean isBias() {
        return bias;
    }

    /** Writes the initial values into {@code view} (a view of the network's flat parameter array). */
    public void initialize(INDArray view) {
        initializer.accept(view);
    }

    @Override
    public String toString() {
        return name + Arrays.toString(shape);
    }
}
