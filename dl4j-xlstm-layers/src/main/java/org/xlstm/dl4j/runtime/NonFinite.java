package org.xlstm.dl4j.runtime;

import java.util.Map;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.BooleanIndexing;
import org.nd4j.linalg.indexing.conditions.Conditions;

/** Finding NaN and infinite values, and saying where a non-finite output came from. */
public final class NonFinite {

    private NonFinite() {
    }

    /**
     * Whether {@code array} holds a NaN or an infinity. A finite sum (one fast reduction) rules both out; only
     * a non-finite sum, which large finite values can also give, needs the element-wise search.
     */
    public static boolean any(INDArray array) {
        if (array.isEmpty() || Double.isFinite(array.sumNumber().doubleValue())) {
            return false;
        }
        return BooleanIndexing.or(array, Conditions.isNan()) || BooleanIndexing.or(array, Conditions.isInfinite());
    }

    /**
     * The error for a layer whose output is not finite although its input was: names the first parameter
     * holding non-finite values, or else blames overflow.
     */
    public static IllegalStateException outputError(String layer, Map<String, INDArray> params) {
        for (Map.Entry<String, INDArray> p : params.entrySet()) {
            if (any(p.getValue())) {
                return new IllegalStateException(layer + ": parameter '" + p.getKey() + "' contains non-finite values"
                        + " (NaN or infinite), so its output is not finite");
            }
        }
        return new IllegalStateException(layer + ": the output overflowed to non-finite values from finite input and"
                + " parameters");
    }
}
