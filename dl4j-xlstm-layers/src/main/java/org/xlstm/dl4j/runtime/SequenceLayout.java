package org.xlstm.dl4j.runtime;

import java.util.Arrays;

import org.deeplearning4j.nn.conf.RNNFormat;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.BooleanIndexing;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.indexing.conditions.Conditions;
import org.xlstm.dl4j.conf.XlstmLayerConfig;

/**
 * Converts between DL4J's recurrent arrays ([B, F, T] for NCW, [B, T, F] for NWC) and the modules'
 * c-order [B, T, F], checking what users get wrong with a message that names the layer.
 */
public final class SequenceLayout {

    private SequenceLayout() {
    }

    /**
     * The layer input as [B, T, nIn] c-order in the layer's data type. With one input feature (token ids), a
     * [B, T] input is accepted too, as DL4J's {@code EmbeddingSequenceLayer} does.
     */
    public static INDArray toModuleLayout(XlstmLayerConfig conf, INDArray input, DataType dataType) {
        return moduleLayout(conf, checkedInput(conf, input), dataType);
    }

    /**
     * The layer input, checked as {@link #toModuleLayout(XlstmLayerConfig, INDArray, DataType)} checks it, as a
     * rank-3 array (a view) in the layer's data format: for converting it a time slice at a time.
     */
    public static INDArray checkedInput(XlstmLayerConfig conf, INDArray input) {
        INDArray sequence = input;
        if (input.rank() == 2 && conf.getNIn() == 1) {
            sequence = conf.getDataFormat() == RNNFormat.NCW ? input.reshape(input.size(0), 1, input.size(1))
                    : input.reshape(input.size(0), input.size(1), 1);
        }
        return checked(conf, sequence, conf.getNIn(), "input");
    }

    public static INDArray toModuleLayout(XlstmLayerConfig conf, INDArray array, DataType dataType, long features,
                                          String what) {
        return moduleLayout(conf, checked(conf, array, features, what), dataType);
    }

    /** Steps [start, end) of a {@link #checkedInput checked} array as [B, end - start, F] c-order: a fresh copy. */
    public static INDArray moduleSlice(XlstmLayerConfig conf, INDArray checked, long start, long end,
                                       DataType dataType) {
        return moduleLayout(conf, timeSlice(conf, checked, start, end), dataType);
    }

    /** The batch size and time length of a {@link #checkedInput checked} array: {B, T}. */
    public static long[] batchAndTime(XlstmLayerConfig conf, INDArray checked) {
        return new long[] {checked.size(0), checked.size(conf.getDataFormat() == RNNFormat.NCW ? 2 : 1)};
    }

    /**
     * {@code array} itself, after checking it is a finite sequence of {@code features} features in the layer's
     * format ({@code what} names it in errors: "input", "epsilon").
     */
    public static INDArray checked(XlstmLayerConfig conf, INDArray array, long features, String what) {
        RNNFormat format = conf.getDataFormat();
        String expected = format == RNNFormat.NCW ? "[minibatch, " + features + ", time]"
                : "[minibatch, time, " + features + "]";
        if (array.rank() != 3) {
            throw new IllegalArgumentException(conf.describe() + ": expected " + what + " of rank 3 " + expected
                    + " (" + format + ") but got rank " + array.rank() + " with shape " + Arrays.toString(array.shape()));
        }
        int featureAxis = format == RNNFormat.NCW ? 1 : 2;
        if (array.size(featureAxis) != features) {
            throw new IllegalArgumentException(conf.describe() + ": " + what + " size (" + (what.equals("input")
                    ? "nIn" : "nOut") + ") expected " + features + " but got " + array.size(featureAxis)
                    + " in " + what + " of shape " + Arrays.toString(array.shape()) + " (" + format + ", expected "
                    + expected + ")");
        }
        if (NonFinite.any(array)) {
            throw new IllegalArgumentException(conf.describe() + ": " + what + " contains non-finite values (NaN or"
                    + " infinite; shape " + Arrays.toString(array.shape()) + ")");
        }
        return array;
    }

    /** A checked array in the layer's format as [B, T, F] c-order in {@code dataType}: always a fresh copy. */
    private static INDArray moduleLayout(XlstmLayerConfig conf, INDArray array, DataType dataType) {
        RNNFormat format = conf.getDataFormat();
        INDArray typed = array.dataType() == dataType ? array : array.castTo(dataType);
        INDArray btf = format == RNNFormat.NCW ? typed.permute(0, 2, 1) : typed;
        return btf.dup('c');
    }

    /** The shape of a module's [B, T, F] array in the layer's data format. */
    public static long[] layerShape(XlstmLayerConfig conf, INDArray btf) {
        return conf.getDataFormat() == RNNFormat.NCW ? new long[] {btf.size(0), btf.size(2), btf.size(1)}
                : btf.shape();
    }

    /** The shape of a [B, T, F] sequence in the layer's data format. */
    public static long[] layerShape(XlstmLayerConfig conf, long batch, long time, long features) {
        return conf.getDataFormat() == RNNFormat.NCW ? new long[] {batch, features, time}
                : new long[] {batch, time, features};
    }

    /** The view of steps [start, end) of a sequence in the layer's data format. */
    public static INDArray timeSlice(XlstmLayerConfig conf, INDArray layerArray, long start, long end) {
        return conf.getDataFormat() == RNNFormat.NCW
                ? layerArray.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(start, end))
                : layerArray.get(NDArrayIndex.all(), NDArrayIndex.interval(start, end), NDArrayIndex.all());
    }

    /** Writes a module's [B, T, F] array into {@code target}, of {@link #layerShape}. */
    public static void writeInLayerFormat(XlstmLayerConfig conf, INDArray btf, INDArray target) {
        target.assign(conf.getDataFormat() == RNNFormat.NCW ? btf.permute(0, 2, 1) : btf);
    }

    /** The feature mask as [B, T] in the layer's data type, or null when there is none. */
    public static INDArray validateMask(XlstmLayerConfig conf, INDArray mask, long batch, long time,
                                        DataType dataType) {
        if (mask == null) {
            return null;
        }
        INDArray m = mask;
        if (m.rank() == 3 && m.size(1) == 1) {
            m = m.reshape(m.size(0), m.size(2));
        }
        if (m.rank() != 2 || m.size(0) != batch || m.size(1) != time) {
            throw new IllegalArgumentException(conf.describe() + ": feature mask expected shape [" + batch + ", " + time
                    + "] ([minibatch, time]) but got " + Arrays.toString(mask.shape()));
        }
        return (m.dataType() == dataType ? m : m.castTo(dataType)).dup('c');
    }
}
