package org.xlstm.dl4j.wrappers;

import java.util.Collection;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.wrapper.BaseWrapperLayer;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.xlstm.dl4j.conf.XlstmLayerConfig;

/**
 * DL4J's {@code LastTimeStep} for the xLSTM layers (the stock wrapper cannot read their data format): the
 * output is the wrapped layer's output at the last time step of each sequence, [minibatch, nOut], for
 * sequence classification or regression with a feed-forward layer after it. With a feature mask, the last
 * step of a row is its last unmasked step; a row with no unmasked step gives zeros.
 */
public class XlstmLastTimeStep extends BaseWrapperLayer {

    private XlstmLastTimeStep() {
        // for JSON
    }

    public XlstmLastTimeStep(XlstmLayerConfig underlying) {
        super(underlying);
        this.layerName = underlying.getLayerName();
    }

    @Override
    public Layer instantiate(NeuralNetConfiguration conf, Collection<TrainingListener> trainingListeners,
                             int layerIndex, INDArray layerParamsView, boolean initializeParams,
                             DataType networkDataType) {
        NeuralNetConfiguration underlyingConf = conf.clone();
        underlyingConf.setLayer(underlying);
        return new XlstmLastTimeStepLayer(underlying.instantiate(underlyingConf, trainingListeners, layerIndex,
                layerParamsView, initializeParams, networkDataType));
    }

    @Override
    public InputType getOutputType(int layerIndex, InputType inputType) {
        InputType.InputTypeRecurrent out = (InputType.InputTypeRecurrent) underlying.getOutputType(layerIndex,
                inputType);
        return InputType.feedForward(out.getSize());
    }
}
