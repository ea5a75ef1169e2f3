package org.xlstm.dl4j.model;

import java.util.ArrayList;
import java.util.List;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.xlstm.dl4j.conf.MLSTMBlock;
import org.xlstm.dl4j.conf.SLSTMBlock;
import org.xlstm.dl4j.conf.XlstmLayerConfig;
import org.xlstm.dl4j.conf.XlstmLayerNorm;
import org.xlstm.dl4j.imports.BlockType;
import org.xlstm.dl4j.imports.ConfigException;
import org.xlstm.dl4j.imports.FeedForwardConfig;
import org.xlstm.dl4j.imports.MlstmLayerConfig;
import org.xlstm.dl4j.imports.OfficialLayouts;
import org.xlstm.dl4j.imports.ParameterMapping;
import org.xlstm.dl4j.imports.SlstmLayerConfig;
import org.xlstm.dl4j.imports.XlstmStackConfig;
import org.xlstm.dl4j.runtime.GatedFeedForwardModule;
import org.xlstm.dl4j.runtime.SLSTMBiasInit;

/**
 * Builds the official xLSTM block stack (N blocks, sLSTM blocks at {@code slstm_at}, a final LayerNorm)
 * from its configuration, as DL4J layers for a {@code ListBuilder} or {@code GraphBuilder}.
 */
public final class XlstmStack {

    private XlstmStack() {
    }

    /** The layers in order: one block per position, then the post-blocks norm when configured. */
    public static List<XlstmLayerConfig> layers(XlstmStackConfig config, RNNFormat format) {
        List<XlstmLayerConfig> layers = new ArrayList<>();
        int e = config.getEmbeddingDim();
        for (int i = 0; i < config.getNumBlocks(); i++) {
            if (config.blockType(i) == BlockType.SLSTM) {
                layers.add(slstmBlock(config, i, format));
            } else {
                MlstmLayerConfig m = config.getMlstm();
                layers.add(new MLSTMBlock.Builder().size(e).numHeads(m.getNumHeads()).innerSize(m.getInnerSize())
                        .convKernelSize(m.getConv1dKernelSize()).qkvBlockSize(m.getQkvProjBlocksize())
                        .bias(m.isBias()).numBlocks(config.getNumBlocks()).dataFormat(format)
                        .name("block" + i + "_mlstm").build());
            }
        }
        if (config.isAddPostBlocksNorm()) {
            layers.add(new XlstmLayerNorm.Builder().size(e).dataFormat(format).name("post_blocks_norm").build());
        }
        return layers;
    }

    private static SLSTMBlock slstmBlock(XlstmStackConfig config, int index, RNNFormat format) {
        SlstmLayerConfig s = config.getSlstm();
        FeedForwardConfig ff = feedForward(config, index);
        return new SLSTMBlock.Builder().size(config.getEmbeddingDim()).numHeads(s.getNumHeads())
                .convKernelSize(s.getConv1dKernelSize()).biasInit(SLSTMBiasInit.fromOfficialName(s.getBiasInit()))
                .blockPosition(index, config.getNumBlocks()).ffnProjFactor(ff.getProjFactor())
                .ffnActivation(activation(ff.getActFn(), index)).ffnBias(ff.isBias()).dataFormat(format)
                .name("block" + index + "_slstm").build();
    }

    private static FeedForwardConfig feedForward(XlstmStackConfig config, int index) {
        if (config.getSlstmFeedForward() == null) {
            throw new ConfigException("config key 'slstm_block.feedforward': null (sLSTM block " + index + " without"
                    + " the gated feed-forward) is not supported by SLSTMBlock");
        }
        return config.getSlstmFeedForward();
    }

    private static GatedFeedForwardModule.Activation activation(String official, int index) {
        switch (official) {
            case "gelu":
                return GatedFeedForwardModule.Activation.GELU;
            case "swish":
                return GatedFeedForwardModule.Activation.SILU;
            default:
                throw new IllegalArgumentException("sLSTM block " + index + ": feed-forward act_fn '" + official
                        + "' is not supported (gelu, swish)");
        }
    }

    /**
     * For each layer of {@link #layers}, how the official state_dict entries map onto its parameters.
     * {@code cudaLayout} is the sLSTM checkpoint layout (see {@link OfficialLayouts#isCudaLayout}).
     */
    public static List<List<ParameterMapping>> officialMappings(XlstmStackConfig config, String prefix,
                                                                boolean cudaLayout) {
        List<List<ParameterMapping>> all = new ArrayList<>();
        int e = config.getEmbeddingDim();
        for (int i = 0; i < config.getNumBlocks(); i++) {
            String block = prefix + "blocks." + i + ".";
            if (config.blockType(i) == BlockType.SLSTM) {
                SlstmLayerConfig s = config.getSlstm();
                FeedForwardConfig ff = feedForward(config, i);
                all.add(OfficialLayouts.slstmBlock(block, e, s.getNumHeads(), s.getConv1dKernelSize(),
                        ff.getInnerSize(), ff.isBias(), cudaLayout));
            } else {
                MlstmLayerConfig m = config.getMlstm();
                all.add(OfficialLayouts.mlstmBlock(block, e, m.getInnerSize(), m.getNumHeads(),
                        m.getConv1dKernelSize(), m.getQkvProjBlocksize(), m.isBias()));
            }
        }
        if (config.isAddPostBlocksNorm()) {
            all.add(OfficialLayouts.postBlocksNorm(prefix + "post_blocks_norm.weight", e));
        }
        return all;
    }

    /** Appends the stack to a list configuration; returns the builder. */
    public static NeuralNetConfiguration.ListBuilder addTo(NeuralNetConfiguration.ListBuilder builder,
                                                           XlstmStackConfig config, RNNFormat format) {
        for (XlstmLayerConfig layer : layers(config, format)) {
            builder.layer(layer);
        }
        return builder;
    }

    /** Adds the stack after vertex {@code input}; returns the name of the stack's last vertex. */
    public static String addTo(ComputationGraphConfiguration.GraphBuilder graph, String input, XlstmStackConfig config,
                               RNNFormat format) {
        String previous = input;
        for (XlstmLayerConfig layer : layers(config, format)) {
            graph.addLayer(layer.getLayerName(), layer, previous);
            previous = layer.getLayerName();
        }
        return previous;
    }
}
