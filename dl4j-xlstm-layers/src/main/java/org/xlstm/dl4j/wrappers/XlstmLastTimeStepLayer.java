package org.xlstm.dl4j.wrappers;

import static org.nd4j.linalg.indexing.NDArrayIndex.all;
import static org.nd4j.linalg.indexing.NDArrayIndex.point;

import java.util.Arrays;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.MaskState;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.wrapper.BaseWrapperLayer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.xlstm.dl4j.conf.XlstmLayerConfig;

/** Runtime of {@link XlstmLastTimeStep}: selects each row's last (unmasked) step and routes its gradient back. */
public class XlstmLastTimeStepLayer extends BaseWrapperLayer {

    /** Per row, the time index that was selected, or -1 for a row with no unmasked step. */
    private int[] lastSteps;
    private long[] sequenceShape;

    public XlstmLastTimeStepLayer(Layer underlying) {
        super(underlying);
    }

    @Override
    public Type type() {
        return Type.FEED_FORWARD;
    }

    @Override
    public INDArray activate(boolean training, LayerWorkspaceMgr workspaceMgr) {
        return lastStep(underlying.activate(training, workspaceMgr), workspaceMgr);
    }

    @Override
    public INDArray activate(INDArray input, boolean training, LayerWorkspaceMgr workspaceMgr) {
        return lastStep(underlying.activate(input, training, workspaceMgr), workspaceMgr);
    }

    @Override
    public Pair<INDArray, MaskState> feedForwardMaskArray(INDArray maskArray, MaskState currentMaskState,
                                                          int minibatchSize) {
        underlying.feedForwardMaskArray(maskArray, currentMaskState, minibatchSize);
        // The output has no time axis: nothing after this layer is masked.
        return new Pair<>(null, currentMaskState);
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
        INDArray sequenceEpsilon = Nd4j.zeros(epsilon.dataType(), sequenceShape);
        for (int b = 0; b < lastSteps.length; b++) {
            if (lastSteps[b] >= 0) {
                sequenceEpsilon.get(stepIndex(b, lastSteps[b])).assign(epsilon.getRow(b));
            }
        }
        return underlying.backpropGradient(sequenceEpsilon, workspaceMgr);
    }

    private INDArray lastStep(INDArray sequence, LayerWorkspaceMgr workspaceMgr) {
        sequenceShape = sequence.shape();
        boolean nwc = format() == RNNFormat.NWC;
        long minibatch = sequenceShape[0];
        long time = sequenceShape[nwc ? 1 : 2];
        long size = sequenceShape[nwc ? 2 : 1];
        lastSteps = lastUnmaskedSteps(underlying.getMaskArray(), (int) minibatch, (int) time);
        INDArray out = workspaceMgr.create(ArrayType.ACTIVATIONS, sequence.dataType(), minibatch, size);
        for (int b = 0; b < minibatch; b++) {
            if (lastSteps[b] >= 0) {
                out.getRow(b).assign(sequence.get(stepIndex(b, lastSteps[b])));
            }
        }
        return out;
    }

    private INDArrayIndex[] stepIndex(int row, int step) {
        return format() == RNNFormat.NWC ? new INDArrayIndex[] {point(row), point(step), all()}
                : new INDArrayIndex[] {point(row), all(), point(step)};
    }

    private RNNFormat format() {
        return ((XlstmLayerConfig) underlying.conf().getLayer()).getDataFormat();
    }

    private static int[] lastUnmaskedSteps(INDArray mask, int minibatch, int time) {
        int[] steps = new int[minibatch];
        if (mask == null) {
            Arrays.fill(steps, time - 1);
            return steps;
        }
        double[][] m = mask.reshape(minibatch, mask.length() / minibatch).toDoubleMatrix();
        for (int b = 0; b < minibatch; b++) {
            steps[b] = -1;
            for (int t = time - 1; t >= 0; t--) {
                if (m[b][t] != 0.0) {
                    steps[b] = t;
                    break;
                }
            }
        }
        return steps;
    }
}
