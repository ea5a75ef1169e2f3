package org.xlstm.dl4j.conf;

import java.util.Collection;
import java.util.Map;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.MaskState;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.InputTypeUtil;
import org.deeplearning4j.nn.conf.layers.samediff.SDLayerParams;
import org.deeplearning4j.nn.conf.layers.samediff.SameDiffLayer;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.xlstm.dl4j.runtime.ParamSpec;
import org.xlstm.dl4j.runtime.SequenceModule;
import org.xlstm.dl4j.runtime.XlstmRecurrentLayer;

import lombok.EqualsAndHashCode;
import lombok.Getter;
import lombok.Setter;

/**
 * Common configuration of the xLSTM layers: sizes, data format, parameters and the DL4J wiring.
 *
 * <p>Subclasses describe their math as a {@link SequenceModule} built from their settings. That module
 * defines the parameters (names, shapes, official initialisation), the SameDiff graph returned by
 * {@link #defineLayer} and the hand-written runtime used for training and inference.
 */
@Getter
@Setter
@EqualsAndHashCode(callSuper = true)
public abstract class XlstmLayerConfig extends SameDiffLayer {

    protected long nIn;
    protected long nOut;
    protected RNNFormat dataFormat = RNNFormat.NCW;

    protected XlstmLayerConfig() {
        // for JSON
    }

    protected XlstmLayerConfig(Builder<?> builder) {
        super(builder);
        this.nIn = builder.nIn;
        this.nOut = builder.nOut;
        this.dataFormat = builder.dataFormat;
    }

    /** The layer's math, built from the current settings (validated: a clear error names what is wrong). */
    public abstract SequenceModule module();

    /** "MLSTMLayer 'name'" for error messages. */
    public String describe() {
        String name = getLayerName();
        return getClass().getSimpleName() + (name == null ? "" : " '" + name + "'");
    }

    protected void require(boolean condition, String parameter, String expected, Object actual) {
        if (!condition) {
            throw new IllegalArgumentException(describe() + ": " + parameter + " must be " + expected + " but was "
                    + actual);
        }
    }

    protected void requireSizesSet() {
        require(nIn > 0, "nIn", "> 0 (set nIn or use setInputType)", nIn);
        require(nOut > 0, "nOut", "> 0", nOut);
    }

    @Override
    public void defineParameters(SDLayerParams params) {
        for (ParamSpec spec : module().parameters()) {
            if (spec.isBias()) {
                params.addBiasParam(spec.name(), spec.shape());
            } else {
                params.addWeightParam(spec.name(), spec.shape());
            }
        }
    }

    @Override
    public void initializeParameters(Map<String, INDArray> params) {
        for (ParamSpec spec : module().parameters()) {
            spec.initialize(params.get(spec.name()));
        }
    }

    @Override
    public SDVariable defineLayer(SameDiff sd, SDVariable layerInput, Map<String, SDVariable> paramTable,
                                  SDVariable mask) {
        SDVariable btf = dataFormat == RNNFormat.NCW ? layerInput.permute(0, 2, 1) : layerInput;
        SDVariable out = module().define(sd, btf, paramTable, mask);
        return dataFormat == RNNFormat.NCW ? out.permute(0, 2, 1) : out;
    }

    @Override
    public Layer instantiate(NeuralNetConfiguration conf, Collection<TrainingListener> trainingListeners,
                             int layerIndex, INDArray layerParamsView, boolean initializeParams,
                             DataType networkDataType) {
        XlstmRecurrentLayer layer = new XlstmRecurrentLayer(conf, networkDataType);
        layer.setListeners(trainingListeners);
        layer.setIndex(layerIndex);
        layer.setParamsViewArray(layerParamsView);
        Map<String, INDArray> paramTable = initializer().init(conf, layerParamsView, initializeParams);
        layer.setParamTable(paramTable);
        layer.setConf(conf);
        return layer;
    }

    @Override
    public InputType getOutputType(int layerIndex, InputType inputType) {
        if (!(inputType instanceof InputType.InputTypeRecurrent)) {
            throw new IllegalArgumentException(describe() + ": expected a recurrent input type but got " + inputType);
        }
        InputType.InputTypeRecurrent rnn = (InputType.InputTypeRecurrent) inputType;
        return InputType.recurrent(nOut, rnn.getTimeSeriesLength(), dataFormat);
    }

    @Override
    public void setNIn(InputType inputType, boolean override) {
        if (!(inputType instanceof InputType.InputTypeRecurrent)) {
            throw new IllegalArgumentException(describe() + ": expected a recurrent input type but got " + inputType);
        }
        InputType.InputTypeRecurrent rnn = (InputType.InputTypeRecurrent) inputType;
        if (nIn <= 0 || override) {
            nIn = rnn.getSize();
            dataFormat = rnn.getFormat();
            onNInSet();
            setLayerParams(null);
        }
    }

    /** Hook for size-preserving layers (blocks), whose nOut follows nIn. */
    protected void onNInSet() {
    }

    @Override
    public InputPreProcessor getPreProcessorForInputType(InputType inputType) {
        return InputTypeUtil.getPreprocessorForInputTypeRnnLayers(inputType, dataFormat, getLayerName());
    }

    @Override
    public Pair<INDArray, MaskState> feedForwardMaskArray(INDArray maskArray, MaskState currentMaskState,
                                                          int minibatchSize) {
        return new Pair<>(maskArray, currentMaskState);
    }

    /** Builder settings shared by all xLSTM layers. */
    @SuppressWarnings("unchecked")
    public abstract static class Builder<T extends Builder<T>> extends SameDiffLayer.Builder<T> {
        protected long nIn;
        protected long nOut;
        protected RNNFormat dataFormat = RNNFormat.NCW;

        /** Input size (features per time step). Inferred when the network uses {@code setInputType}. */
        public T nIn(long nIn) {
            this.nIn = nIn;
            return (T) this;
        }

        /** Output size (features per time step). */
        public T nOut(long nOut) {
            this.nOut = nOut;
            return (T) this;
        }

        /** NCW ([minibatch, features, time], DL4J's default) or NWC ([minibatch, time, features]). */
        public T dataFormat(RNNFormat dataFormat) {
            this.dataFormat = dataFormat;
            return (T) this;
        }
    }
}
