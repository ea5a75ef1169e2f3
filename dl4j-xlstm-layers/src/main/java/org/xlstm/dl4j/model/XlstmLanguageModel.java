package org.xlstm.dl4j.model;

import java.util.ArrayList;
import java.util.List;

import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.EmbeddingSequenceLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.recurrent.TimeDistributed;
import org.deeplearning4j.nn.params.DefaultParamInitializer;
import org.nd4j.linalg.activations.Activation;
import org.xlstm.dl4j.imports.ParameterMapping;
import org.xlstm.dl4j.imports.XlstmLmConfig;

/**
 * The official {@code xLSTMLMModel} as DL4J layers: token embedding, the block stack (whose post-blocks norm
 * is the final LayerNorm), and a linear head without bias producing the logits, all in NCW order. The input
 * is token ids {@code [B, S]}; the output is logits {@code [B, V, S]}.
 *
 * <p>The head is a time-distributed dense layer (identity activation), so the network's output is the
 * logits themselves; train it with a loss applied outside the network or replace the last layer by an
 * {@code RnnOutputLayer} for {@code fit()}. Tied embedding/head weights are not supported: DL4J layers cannot
 * share one parameter array.
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

    /** The layers in order: embedding, the stack's layers, the head. */
    public static List<Layer> layers(XlstmLmConfig config) {
        requireUntied(config);
        int e = config.getStack().getEmbeddingDim();
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

    /** For each layer of {@link #layers}, how the official state_dict entries map onto its parameters. */
    public static List<List<ParameterMapping>> officialMappings(XlstmLmConfig config, boolean cudaLayout) {
        requireUntied(config);
        long[] official = {config.getVocabSize(), config.getStack().getEmbeddingDim()};
        List<List<ParameterMapping>> all = new ArrayList<>();
        all.add(List.of(ParameterMapping.reshaped(EMBEDDING_WEIGHT, DefaultParamInitializer.WEIGHT_KEY, official)));
        all.addAll(XlstmStack.officialMappings(config.getStack(), STACK_PREFIX, cudaLayout));
        all.add(List.of(ParameterMapping.transposed(HEAD_WEIGHT, DefaultParamInitializer.WEIGHT_KEY)));
        return all;
    }

    private static void requireUntied(XlstmLmConfig config) {
        if (config.isTieWeights()) {
            throw new UnsupportedOperationException("tie_weights=true is not supported: DL4J layers cannot share one"
                    + " parameter array between the token embedding and the output head; use tie_weights=false"
                    + " (an untied head with its own [E, V] weight)");
        }
    }
}
