package org.xlstm.dl4j.backend.cpu.step;

import java.util.Map;

import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.xlstm.dl4j.backend.cpu.HostArrays;

/**
 * One parameter read through its live view in the layer's parameter table, never through a copy kept across
 * steps, so that training, {@code setParams} and {@code setParam} are seen by the next step. The pointer is
 * resolved again only when the table maps the name to another array.
 */
final class LiveParam {
    private final String name;
    private INDArray array;
    private FloatPointer pointer;

    LiveParam(String name) {
        this.name = name;
    }

    /** null for an optional parameter that is absent (e.g. biases switched off): callers check the flag. */
    static LiveParam optional(boolean present, String name) {
        return present ? new LiveParam(name) : null;
    }

    FloatPointer pointer(Map<String, INDArray> params) {
        INDArray current = params.get(name);
        if (current != array) {
            if (current == null) {
                throw new IllegalStateException("Parameter '" + name + "' is missing from the parameter table");
            }
            pointer = HostArrays.pointer(current, "parameter '" + name + "'");
            array = current;
        }
        return pointer;
    }

    /** Copies the current values into {@code to} (the whole parameter, c-order). */
    float[] read(Map<String, INDArray> params, float[] to) {
        HostArrays.read(pointer(params), 0, to, 0, to.length);
        return to;
    }
}
