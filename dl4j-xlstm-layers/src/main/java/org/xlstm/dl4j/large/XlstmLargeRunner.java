package org.xlstm.dl4j.large;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.WorkspaceMode;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.config.NoOp;
import org.xlstm.dl4j.imports.XlstmLargeConfig;

/**
 * An xLSTM-Large model as a DL4J network, run in the official tensor order: token ids {@code [B, S]} in,
 * logits {@code [B, S, V]} out, from the full-sequence (chunkwise) forward or one token at a time through
 * rnnTimeStep, and the gradients of {@code sum(logits * R)} keyed by official parameter names.
 */
public final class XlstmLargeRunner {
    private final XlstmLargeConfig config;
    private final MultiLayerNetwork network;

    private XlstmLargeRunner(XlstmLargeConfig config, MultiLayerNetwork network) {
        this.config = config;
        this.network = network;
    }

    /** The model of {@code config} in {@code type}, randomly initialised (seeded), ready to load weights into. */
    public static XlstmLargeRunner create(XlstmLargeConfig config, DataType type, long seed) {
        NeuralNetConfiguration.Builder base = new NeuralNetConfiguration.Builder().seed(seed).dataType(type)
                .updater(new NoOp()).trainingWorkspaceMode(WorkspaceMode.ENABLED)
                .inferenceWorkspaceMode(WorkspaceMode.ENABLED);
        MultiLayerNetwork net = new MultiLayerNetwork(XlstmLargeModel.configuration(base, config));
        net.init();
        return new XlstmLargeRunner(config, net);
    }

    public XlstmLargeConfig config() {
        return config;
    }

    public MultiLayerNetwork network() {
        return network;
    }

    public DataType dataType() {
        return network.getLayerWiseConfigurations().getDataType();
    }

    /** Per layer, the layer's parameter table (name to parameter view), in {@link XlstmLargeModel#layers} order. */
    public List<Map<String, INDArray>> parameterTables() {
        List<Map<String, INDArray>> tables = new ArrayList<>();
        for (Layer layer : network.getLayers()) {
            tables.add(layer.paramTable());
        }
        return tables;
    }

    /** Logits [B, S, V] of the full-sequence forward from an empty state. */
    public INDArray logits(INDArray ids) {
        network.rnnClearPreviousState();
        return network.output(toNetwork(ids)).permute(0, 2, 1).dup('c');
    }

    /** Logits [B, S, V] of feeding the tokens one at a time through rnnTimeStep, state carried, from an empty state. */
    public INDArray stepLogits(INDArray ids) {
        INDArray in = toNetwork(ids);
        network.rnnClearPreviousState();
        long steps = in.size(2);
        INDArray stepped = Nd4j.create(dataType(), in.size(0), steps, config.getVocabSize());
        for (int t = 0; t < steps; t++) {
            INDArray out = network.rnnTimeStep(in.get(NDArrayIndex.all(), NDArrayIndex.all(),
                    NDArrayIndex.interval(t, t + 1)));
            stepped.get(NDArrayIndex.all(), NDArrayIndex.point(t), NDArrayIndex.all())
                    .assign(out.reshape(out.size(0), out.size(1)));
        }
        network.rnnClearPreviousState();
        return stepped;
    }

    /** The gradients of {@code sum(logits * upstream)} ([B, S, V]) for every official parameter, official layouts. */
    public Map<String, INDArray> gradients(INDArray ids, INDArray upstream) {
        INDArray activation = toNetwork(ids);
        INDArray epsilon = upstream.castTo(dataType()).permute(0, 2, 1).dup('c');
        network.rnnClearPreviousState();
        network.initGradientsView();
        Layer[] layers = network.getLayers();
        LayerWorkspaceMgr mgr = LayerWorkspaceMgr.noWorkspaces();
        for (Layer layer : layers) {
            activation = layer.activate(activation, true, mgr);
        }
        if (!Arrays.equals(activation.shape(), epsilon.shape())) {
            throw new IllegalArgumentException("upstream gradient has shape " + Arrays.toString(upstream.shape())
                    + " but the logits have shape " + Arrays.toString(activation.permute(0, 2, 1).shape()));
        }
        List<Map<String, INDArray>> perLayer = new ArrayList<>();
        for (int i = layers.length - 1; i >= 0; i--) {
            Pair<Gradient, INDArray> g = layers[i].backpropGradient(epsilon, mgr);
            epsilon = g.getSecond();
            perLayer.add(0, g.getFirst().gradientForVariable());
        }
        Map<String, INDArray> official = new LinkedHashMap<>();
        for (OfficialTensor tensor : XlstmLargeModel.officialTensors(config)) {
            INDArray ours = perLayer.get(tensor.layer()).get(tensor.mapping().ourName());
            official.put(tensor.name(), tensor.mapping().toOfficial(ours).reshape(tensor.officialShape()));
        }
        return official;
    }

    /** Token ids [B, S] as the network's [B, 1, S] input, checked against the vocabulary. */
    public INDArray toNetwork(INDArray ids) {
        if (ids.rank() != 2) {
            throw new IllegalArgumentException("token ids must be [batch, sequence] but have shape "
                    + Arrays.toString(ids.shape()));
        }
        double min = ids.minNumber().doubleValue();
        double max = ids.maxNumber().doubleValue();
        if (min < 0 || max >= config.getVocabSize()) {
            throw new IllegalArgumentException("token ids must lie in [0, " + config.getVocabSize()
                    + ") but range from " + (long) min + " to " + (long) max);
        }
        return ids.castTo(dataType()).reshape(ids.size(0), 1, ids.size(1));
    }
}
