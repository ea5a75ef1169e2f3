package org.xlstm.dl4j.regression;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.recurrent.Bidirectional;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;
import org.xlstm.dl4j.conf.MLSTMBlock;
import org.xlstm.dl4j.conf.MLSTMLayer;
import org.xlstm.dl4j.conf.SLSTMBlock;
import org.xlstm.dl4j.conf.SLSTMLayer;
import org.xlstm.dl4j.conf.XlstmLayerNorm;
import org.xlstm.dl4j.imports.NpyIO;
import org.xlstm.dl4j.imports.XlstmLmConfig;
import org.xlstm.dl4j.imports.XlstmStackConfig;
import org.xlstm.dl4j.model.XlstmLanguageModel;
import org.xlstm.dl4j.model.XlstmStack;
import org.xlstm.dl4j.wrappers.XlstmBidirectional;
import org.xlstm.dl4j.wrappers.XlstmLastTimeStep;

/**
 * The regression models: one tiny network per layer type, saved with {@link ModelSerializer} as users save
 * theirs, with a fixed input and the output this version computes. {@link RegressionModelTest} loads them and
 * compares, so that a change which breaks saved models fails the build.
 *
 * <p>Run once per released version (from the module folder; writes {@code src/test/resources/regression/<v>/}):
 * <pre>mvn -o test-compile org.codehaus.mojo:exec-maven-plugin:3.2.0:java -Dexec.classpathScope=test
 *     -Dexec.mainClass=org.xlstm.dl4j.regression.RegressionModels -Dexec.args=0.1.0</pre>
 * and keep the folders of earlier versions: each one is a promise to the users of that version.
 */
public final class RegressionModels {
    static final int SIZE = 4;
    static final int BATCH = 2;
    static final int TIME = 5;
    static final int VOCAB = 10;
    private static final String STACK = "{\"mlstm_block\": {\"mlstm\": {\"num_heads\": 2, \"qkv_proj_blocksize\": 2,"
            + " \"conv1d_kernel_size\": 2}}, \"slstm_block\": {\"slstm\": {\"num_heads\": 2, \"conv1d_kernel_size\": 2}},"
            + " \"num_blocks\": 2, \"embedding_dim\": 4, \"slstm_at\": [1]}";

    private RegressionModels() {
    }

    /** The models by file name, each built from a fixed seed. */
    static Map<String, Supplier<Model>> models() {
        Map<String, Supplier<Model>> m = new LinkedHashMap<>();
        m.put("mlstm_layer", () -> list(new MLSTMLayer.Builder().nIn(SIZE).nOut(SIZE).innerSize(8).numHeads(2)
                .qkvBlockSize(2).chunkSize(4).build()));
        m.put("mlstm_block", () -> list(new MLSTMBlock.Builder().size(SIZE).innerSize(8).numHeads(2).qkvBlockSize(2)
                .build()));
        m.put("slstm_layer", () -> list(new SLSTMLayer.Builder().nIn(SIZE).nOut(SIZE).numHeads(2).build()));
        m.put("slstm_block", () -> list(new SLSTMBlock.Builder().size(SIZE).numHeads(2).convKernelSize(2).build()));
        m.put("layer_norm", () -> list(new XlstmLayerNorm.Builder().size(SIZE).build()));
        m.put("stack_mln", () -> {
            MultiLayerNetwork net = new MultiLayerNetwork(XlstmStack.addTo(base().list(),
                    XlstmStackConfig.fromJson(STACK), RNNFormat.NCW).build());
            net.init();
            return net;
        });
        m.put("stack_cg", () -> {
            ComputationGraphConfiguration.GraphBuilder graph = base().graphBuilder().addInputs("in");
            String last = XlstmStack.addTo(graph, "in", XlstmStackConfig.fromJson(STACK), RNNFormat.NCW);
            ComputationGraph net = new ComputationGraph(graph.setOutputs(last).build());
            net.init();
            return net;
        });
        m.put("tied_lm", () -> {
            XlstmLmConfig lm = XlstmLmConfig.fromJson(STACK.substring(0, STACK.length() - 1) + ", \"vocab_size\": "
                    + VOCAB + ", \"tie_weights\": true}");
            MultiLayerNetwork net = new MultiLayerNetwork(XlstmLanguageModel.configuration(base(), lm));
            net.init();
            return net;
        });
        m.put("bidirectional", () -> list(new XlstmBidirectional(Bidirectional.Mode.CONCAT,
                new SLSTMBlock.Builder().size(SIZE).numHeads(2).build())));
        m.put("last_time_step", () -> list(new XlstmLastTimeStep(new MLSTMBlock.Builder().size(SIZE).innerSize(8)
                .numHeads(2).qkvBlockSize(2).build())));
        return m;
    }

    private static NeuralNetConfiguration.Builder base() {
        return new NeuralNetConfiguration.Builder().seed(42).dataType(DataType.DOUBLE).updater(new NoOp());
    }

    private static MultiLayerNetwork list(Layer layer) {
        MultiLayerNetwork net = new MultiLayerNetwork(base().list().layer(layer).build());
        net.init();
        return net;
    }

    /** The fixed input of model {@code name}: token ids [B, 1, T] for the language model, else [B, SIZE, T]. */
    static INDArray input(String name) {
        Nd4j.getRandom().setSeed(7);
        if (name.equals("tied_lm")) {
            return Nd4j.rand(DataType.DOUBLE, BATCH, 1, TIME).muli(VOCAB).castTo(DataType.INT).castTo(DataType.DOUBLE);
        }
        return Nd4j.randn(DataType.DOUBLE, BATCH, SIZE, TIME);
    }

    static INDArray output(Model model, INDArray input) {
        if (model instanceof ComputationGraph) {
            return ((ComputationGraph) model).outputSingle(input);
        }
        return ((MultiLayerNetwork) model).output(input);
    }

    public static void main(String[] args) throws IOException {
        Path dir = Paths.get("src/test/resources/regression", args[0]);
        Files.createDirectories(dir);
        for (Map.Entry<String, Supplier<Model>> e : models().entrySet()) {
            Model model = e.getValue().get();
            INDArray input = input(e.getKey());
            ModelSerializer.writeModel(model, dir.resolve(e.getKey() + ".zip").toFile(), false);
            NpyIO.write(input, dir.resolve(e.getKey() + "_input.npy"));
            NpyIO.write(output(model, input), dir.resolve(e.getKey() + "_output.npy"));
        }
        System.out.println("wrote " + List.copyOf(models().keySet()) + " to " + dir.toAbsolutePath());
    }
}
