package org.xlstm.dl4j.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.EmbeddingSequenceLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.recurrent.TimeDistributed;
import org.deeplearning4j.nn.params.DefaultParamInitializer;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.xlstm.dl4j.conf.TiedLanguageModelLayer;
import org.xlstm.dl4j.imports.OfficialWeightImporter;
import org.xlstm.dl4j.imports.ParameterMapping;
import org.xlstm.dl4j.imports.SafetensorsFile;
import org.xlstm.dl4j.imports.WeightFileException;
import org.xlstm.dl4j.imports.XlstmLmConfig;
import org.xlstm.dl4j.runtime.ScopedModule;

/**
 * The official {@code xLSTMLMModel} as DL4J layers: token embedding, the block stack (whose post-blocks norm
 * is the final LayerNorm), and a linear head without bias producing the logits, all in NCW order. The input
 * is token ids {@code [B, S]}; the output is logits {@code [B, V, S]}.
 *
 * <p>Untied ({@code tie_weights=false}), the head is a time-distributed dense layer (identity activation)
 * after an {@code EmbeddingSequenceLayer} and the stack's layers. Tied, DL4J layers cannot share one parameter
 * array, so the whole model is one {@link TiedLanguageModelLayer} whose head uses the transposed embedding.
 * Either way the network's output is the logits themselves: add an {@code RnnLossLayer} (softmax, MCXENT) for
 * {@code fit()}, or apply a loss outside the network.
 */
public final class XlstmLanguageModel {

    /** Official name of the token embedding weight, {@code [V, E]}, the same layout as ours. */
    public static final String EMBEDDING_WEIGHT = "token_embedding.weight";
    /** Official name of the head weight, {@code [V, E]} (PyTorch Linear), ours {@code [E, V]}. */
    public static final String HEAD_WEIGHT = "lm_head.weight";
    /** Official prefix of the block stack's tensors. */
    public static final String STACK_PREFIX = "xlstm_block_stack.";

    private XlstmLanguageModel() {
    }

    /** The layers in order: embedding, the stack's layers, the head; tied, the one model layer. */
    public static List<Layer> layers(XlstmLmConfig config) {
        int e = config.getStack().getEmbeddingDim();
        if (config.isTieWeights()) {
            return List.of(new TiedLanguageModelLayer.Builder().vocabSize(config.getVocabSize())
                    .body(XlstmStack.layers(config.getStack(), RNNFormat.NCW)).name("xlstm_lm").build());
        }
        List<Layer> layers = new ArrayList<>();
        layers.add(new EmbeddingSequenceLayer.Builder().nIn(config.getVocabSize()).nOut(e).hasBias(false)
                .activation(Activation.IDENTITY).inferInputLength(true).outputDataFormat(RNNFormat.NCW)
                .name("token_embedding").build());
        layers.addAll(XlstmStack.layers(config.getStack(), RNNFormat.NCW));
        DenseLayer head = new DenseLayer.Builder().nIn(e).nOut(config.getVocabSize()).hasBias(false)
                .activation(Activation.IDENTITY).build();
        TimeDistributed timeDistributed = new TimeDistributed(head, RNNFormat.NCW);
        timeDistributed.setLayerName("lm_head");
        layers.add(timeDistributed);
        return layers;
    }

    /** The network configuration: {@code base}'s global settings (data type, updater, ...) with {@link #layers}. */
    public static MultiLayerConfiguration configuration(NeuralNetConfiguration.Builder base, XlstmLmConfig config) {
        NeuralNetConfiguration.ListBuilder list = base.list();
        for (Layer layer : layers(config)) {
            list.layer(layer);
        }
        return list.build();
    }

    /**
     * For each layer of {@link #layers}, how the official state_dict entries map onto its parameters. Tied, the
     * shared weight is {@link #EMBEDDING_WEIGHT} (the name PyTorch's {@code named_parameters} reports for it).
     */
    public static List<List<ParameterMapping>> officialMappings(XlstmLmConfig config, boolean cudaLayout) {
        long[] official = {config.getVocabSize(), config.getStack().getEmbeddingDim()};
        List<List<ParameterMapping>> stack = XlstmStack.officialMappings(config.getStack(), STACK_PREFIX, cudaLayout);
        if (config.isTieWeights()) {
            List<ParameterMapping> model = new ArrayList<>();
            model.add(ParameterMapping.reshaped(EMBEDDING_WEIGHT, TiedLanguageModelLayer.EMBEDDING, official));
            for (int i = 0; i < stack.size(); i++) {
                String scope = TiedLanguageModelLayer.bodyScope(i);
                for (ParameterMapping m : stack.get(i)) {
                    model.add(m.renamed(m.officialName(), ScopedModule.scopedName(scope, m.ourName())));
                }
            }
            return List.of(model);
        }
        List<List<ParameterMapping>> all = new ArrayList<>();
        all.add(List.of(ParameterMapping.reshaped(EMBEDDING_WEIGHT, DefaultParamInitializer.WEIGHT_KEY, official)));
        all.addAll(stack);
        all.add(List.of(ParameterMapping.transposed(HEAD_WEIGHT, DefaultParamInitializer.WEIGHT_KEY,
                config.getVocabSize(), config.getStack().getEmbeddingDim())));
        return all;
    }

    /**
     * Checks an official checkpoint against {@code config} without reading tensor data (see
     * {@link OfficialWeightImporter#validate}); call before building the network.
     */
    public static void validateOfficial(XlstmLmConfig config, boolean cudaLayout, SafetensorsFile weights) {
        OfficialWeightImporter.validate(weights, fileMappings(config, cudaLayout, weights), ignored(config, weights));
        if (ignored(config, weights).contains(HEAD_WEIGHT)
                && !Arrays.equals(weights.shape(HEAD_WEIGHT), weights.shape(EMBEDDING_WEIGHT))) {
            throw new WeightFileException(weights.path() + ": tie_weights=true but " + EMBEDDING_WEIGHT + " "
                    + Arrays.toString(weights.shape(EMBEDDING_WEIGHT)) + " and " + HEAD_WEIGHT + " "
                    + Arrays.toString(weights.shape(HEAD_WEIGHT)) + " differ in shape");
        }
    }

    /**
     * Loads an official checkpoint into the layers of {@link #layers} (their parameter tables, in order). A tied
     * checkpoint may hold the shared weight as {@link #EMBEDDING_WEIGHT}, as {@link #HEAD_WEIGHT} or as both,
     * which must then be equal.
     */
    public static void loadOfficial(XlstmLmConfig config, boolean cudaLayout, SafetensorsFile weights,
                                    List<Map<String, INDArray>> targets) {
        validateOfficial(config, cudaLayout, weights);
        if (ignored(config, weights).contains(HEAD_WEIGHT)) {
            INDArray embedding = weights.get(EMBEDDING_WEIGHT, targets.get(0).get(TiedLanguageModelLayer.EMBEDDING)
                    .dataType());
            INDArray head = weights.get(HEAD_WEIGHT, embedding.dataType());
            if (!embedding.equalsWithEps(head, 0)) {
                throw new WeightFileException(weights.path() + ": tie_weights=true but " + EMBEDDING_WEIGHT + " and "
                        + HEAD_WEIGHT + " differ; a tied model shares one matrix (load the checkpoint with"
                        + " tie_weights=false if its head was trained separately)");
            }
        }
        OfficialWeightImporter.load(weights, targets, fileMappings(config, cudaLayout, weights),
                ignored(config, weights));
    }

    /** {@link #officialMappings}, with a tied checkpoint's shared weight read from the name the file uses. */
    private static List<List<ParameterMapping>> fileMappings(XlstmLmConfig config, boolean cudaLayout,
                                                             SafetensorsFile weights) {
        List<List<ParameterMapping>> mappings = officialMappings(config, cudaLayout);
        if (!config.isTieWeights() || !weights.contains(HEAD_WEIGHT) || weights.contains(EMBEDDING_WEIGHT)) {
            return mappings;
        }
        List<ParameterMapping> model = new ArrayList<>(mappings.get(0));
        model.set(0, model.get(0).renamed(HEAD_WEIGHT, model.get(0).ourName()));
        return List.of(model);
    }

    /** A tied checkpoint holding the shared weight twice: the head copy is only compared, not loaded. */
    private static Set<String> ignored(XlstmLmConfig config, SafetensorsFile weights) {
        return config.isTieWeights() && weights.contains(HEAD_WEIGHT) && weights.contains(EMBEDDING_WEIGHT)
                ? Set.of(HEAD_WEIGHT) : Set.of();
    }
}
