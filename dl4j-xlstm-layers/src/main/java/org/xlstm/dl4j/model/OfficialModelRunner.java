package org.xlstm.dl4j.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
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
import org.xlstm.dl4j.imports.OfficialLayouts;
import org.xlstm.dl4j.imports.OfficialWeightImporter;
import org.xlstm.dl4j.imports.ParameterMapping;
import org.xlstm.dl4j.imports.SafetensorsFile;
import org.xlstm.dl4j.imports.SlstmLayerConfig;
import org.xlstm.dl4j.imports.XlstmLmConfig;
import org.xlstm.dl4j.imports.WeightFileException;
import org.xlstm.dl4j.imports.XlstmStackConfig;

/**
 * An official xLSTM model (block stack or language model) rebuilt as a DL4J network with its official
 * weights loaded, run in the official tensor order: the full-sequence forward, the step-by-step forward
 * ({@code rnnTimeStep}) and the gradients of {@code sum(output * R)} for an upstream tensor R, keyed by the
 * official parameter names in the layout of the loaded checkpoint.
 *
 * <p>Stack input and output are {@code [B, S, E]}; language-model input is token ids {@code [B, S]} and
 * output the logits {@code [B, S, V]}.
 */
public final class OfficialModelRunner {

    private final MultiLayerNetwork network;
    private final List<List<ParameterMapping>> mappings;
    private final boolean cudaLayout;
    private final int inputFeatures;
    private final int vocabSize;

    private OfficialModelRunner(MultiLayerNetwork network, List<List<ParameterMapping>> mappings, boolean cudaLayout,
                                int inputFeatures, int vocabSize) {
        this.network = network;
        this.mappings = mappings;
        this.cudaLayout = cudaLayout;
        this.inputFeatures = inputFeatures;
        this.vocabSize = vocabSize;
    }

    /** The block stack of {@code config} with {@code weights} loaded (either sLSTM checkpoint layout). */
    public static OfficialModelRunner forStack(XlstmStackConfig config, SafetensorsFile weights, DataType type) {
        boolean cuda = isCudaLayout(weights, config.getSlstm());
        List<List<ParameterMapping>> mappings = XlstmStack.officialMappings(config, "", cuda);
        OfficialWeightImporter.validate(weights, mappings, Collections.emptySet());
        NeuralNetConfiguration.ListBuilder list = base(type).list();
        MultiLayerNetwork net = new MultiLayerNetwork(XlstmStack.addTo(list, config, RNNFormat.NCW).build());
        return load(net, mappings, weights, cuda, config.getEmbeddingDim());
    }

    /** The language model of {@code config} (tied or untied head) with {@code weights} loaded. */
    public static OfficialModelRunner forLanguageModel(XlstmLmConfig config, SafetensorsFile weights, DataType type) {
        boolean cuda = isCudaLayout(weights, config.getStack().getSlstm());
        XlstmLanguageModel.validateOfficial(config, cuda, weights);
        MultiLayerNetwork net = new MultiLayerNetwork(XlstmLanguageModel.configuration(base(type), config));
        net.init();
        XlstmLanguageModel.loadOfficial(config, cuda, weights, paramTables(net));
        return new OfficialModelRunner(net, XlstmLanguageModel.officialMappings(config, cuda), cuda, 0,
                config.getVocabSize());
    }

    private static NeuralNetConfiguration.Builder base(DataType type) {
        return new NeuralNetConfiguration.Builder().dataType(type).updater(new NoOp())
                .trainingWorkspaceMode(WorkspaceMode.ENABLED).inferenceWorkspaceMode(WorkspaceMode.ENABLED);
    }

    private static boolean isCudaLayout(SafetensorsFile weights, SlstmLayerConfig slstm) {
        if (slstm == null) {
            return false;
        }
        for (String name : weights.names()) {
            if (name.endsWith("_recurrent_kernel_")) {
                try {
                    return OfficialLayouts.isCudaLayout(weights.shape(name), slstm.getNumHeads(), slstm.getHeadSize());
                } catch (WeightFileException e) {
                    throw new WeightFileException(weights.path() + ": tensor " + name + ": " + e.getMessage(), e);
                }
            }
        }
        return false;
    }

    private static OfficialModelRunner load(MultiLayerNetwork net, List<List<ParameterMapping>> mappings,
                                            SafetensorsFile weights, boolean cuda, int inputFeatures) {
        net.init();
        OfficialWeightImporter.load(weights, paramTables(net), mappings, Collections.emptySet());
        return new OfficialModelRunner(net, mappings, cuda, inputFeatures, 0);
    }

    private static List<Map<String, INDArray>> paramTables(MultiLayerNetwork net) {
        List<Map<String, INDArray>> tables = new ArrayList<>();
        for (Layer layer : net.getLayers()) {
            tables.add(layer.paramTable());
        }
        return tables;
    }

    public MultiLayerNetwork network() {
        return network;
    }

    /** Per layer, the official names of its parameters and their layout conversions. */
    public List<List<ParameterMapping>> mappings() {
        return mappings;
    }

    /** Whether the loaded checkpoint stores the sLSTM tensors in the cuda backend layout. */
    public boolean isCudaLayout() {
        return cudaLayout;
    }

    public boolean isLanguageModel() {
        return vocabSize > 0;
    }

    /** The full-sequence forward output in official order. */
    public INDArray output(INDArray input) {
        network.rnnClearPreviousState();
        return network.output(toNetwork(input)).permute(0, 2, 1).dup('c');
    }

    /** The same input fed one time step at a time, recurrent state carried, in official order. */
    public INDArray stepOutput(INDArray input) {
        INDArray in = toNetwork(input);
        network.rnnClearPreviousState();
        long steps = in.size(in.rank() - 1);
        INDArray stepped = null;
        for (int t = 0; t < steps; t++) {
            INDArray out = network.rnnTimeStep(in.get(NDArrayIndex.all(), NDArrayIndex.all(),
                    NDArrayIndex.interval(t, t + 1)));
            INDArray step = out.reshape(out.size(0), out.size(1));
            if (stepped == null) {
                stepped = Nd4j.create(step.dataType(), step.size(0), steps, step.size(1));
            }
            stepped.get(NDArrayIndex.all(), NDArrayIndex.point(t), NDArrayIndex.all()).assign(step);
        }
        network.rnnClearPreviousState();
        return stepped;
    }

    /**
     * Forward and backward layer by layer, as {@code fit()} does, with {@code upstream} (official order, shaped
     * like the output) as the gradient arriving at the output.
     */
    public Gradients gradients(INDArray input, INDArray upstream) {
        INDArray in = toNetwork(input);
        INDArray epsilon = upstream.castTo(network.getLayerWiseConfigurations().getDataType()).permute(0, 2, 1)
                .dup('c');
        network.rnnClearPreviousState();
        network.initGradientsView();
        Layer[] layers = network.getLayers();
        LayerWorkspaceMgr mgr = LayerWorkspaceMgr.noWorkspaces();
        INDArray activation = in;
        for (Layer layer : layers) {
            activation = layer.activate(activation, true, mgr);
        }
        if (!Arrays.equals(activation.shape(), epsilon.shape())) {
            throw new IllegalArgumentException("upstream gradient has shape " + Arrays.toString(upstream.shape())
                    + " but the output has shape " + Arrays.toString(activation.permute(0, 2, 1).shape()));
        }
        List<Map<String, INDArray>> perLayer = new ArrayList<>();
        for (int i = layers.length - 1; i >= 0; i--) {
            Pair<Gradient, INDArray> g = layers[i].backpropGradient(epsilon, mgr);
            epsilon = g.getSecond();
            perLayer.add(0, g.getFirst().gradientForVariable());
        }
        INDArray inputGradient = isLanguageModel() ? null : epsilon.permute(0, 2, 1).dup('c');
        return new Gradients(inputGradient, OfficialWeightImporter.toOfficial(perLayer, mappings));
    }

    private INDArray toNetwork(INDArray input) {
        DataType type = network.getLayerWiseConfigurations().getDataType();
        if (isLanguageModel()) {
            if (input.rank() != 2) {
                throw new IllegalArgumentException("language-model input must be token ids [batch, sequence] but has"
                        + " shape " + Arrays.toString(input.shape()));
            }
            double[] ids = input.dup('c').data().asDouble();
            for (int i = 0; i < ids.length; i++) {
                double id = ids[i];
                if (!(id >= 0 && id < vocabSize) || id != Math.rint(id)) {
                    throw new IllegalArgumentException("token ids: expected integers in [0, " + vocabSize
                            + "), got " + id + " at flat index " + i + " of input " + Arrays.toString(input.shape()));
                }
            }
            return input.castTo(type).reshape(input.size(0), 1, input.size(1));
        }
        if (input.rank() != 3 || input.size(2) != inputFeatures) {
            throw new IllegalArgumentException("block-stack input must be [batch, sequence, " + inputFeatures
                    + "] but has shape " + Arrays.toString(input.shape()));
        }
        return input.castTo(type).permute(0, 2, 1).dup('c');
    }

    /** d(sum(output * R)) with respect to the input (null for a language model) and to each official parameter. */
    public static final class Gradients {
        private final INDArray input;
        private final Map<String, INDArray> parameters;

        Gradients(INDArray input, Map<String, INDArray> parameters) {
            this.input = input;
            this.parameters = parameters;
        }

        /** Official order {@code [B, S, E]}; null for a language model (token ids have no gradient). */
        public INDArray input() {
            return input;
        }

        /** Keyed by official name, in the official layout of the loaded checkpoint. */
        public Map<String, INDArray> parameters() {
            return parameters;
        }
    }
}
