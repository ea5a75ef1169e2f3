package org.xlstm.dl4j.imports;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

class XlstmConfigTest {

    static final Path CONFORMANCE = SafetensorsTest.CONFORMANCE;

    static final String MIXED_YAML = String.join("\n",
            "mlstm_block:",
            "  mlstm:",
            "    conv1d_kernel_size: 4",
            "    qkv_proj_blocksize: 4",
            "    num_heads: 4",
            "    proj_factor: 2.0",
            "slstm_block:",
            "  slstm:",
            "    num_heads: 4",
            "    conv1d_kernel_size: 4",
            "    bias_init: powerlaw_blockdependent",
            "  feedforward:",
            "    proj_factor: 1.3",
            "    act_fn: gelu",
            "num_blocks: 4",
            "embedding_dim: 32",
            "slstm_at: [1]",
            "context_length: 32",
            "");

    @Test
    void everyConformanceConfigParses() {
        XlstmStackConfig mlstmOnly = XlstmStackConfig.fromJson(CONFORMANCE.resolve("mlstm_only/config.json"));
        assertEquals(List.of(BlockType.MLSTM, BlockType.MLSTM), mlstmOnly.getBlockTypes());
        assertNull(mlstmOnly.getSlstm());
        assertEquals(24, mlstmOnly.getContextLength());

        XlstmStackConfig slstmOnly = XlstmStackConfig.fromJson(CONFORMANCE.resolve("slstm_only/config.json"));
        assertEquals(List.of(BlockType.SLSTM, BlockType.SLSTM), slstmOnly.getBlockTypes());
        assertEquals(List.of(0, 1), slstmOnly.getSlstmAt());
        assertNull(slstmOnly.getMlstm());

        XlstmStackConfig mixed = XlstmStackConfig.fromJson(CONFORMANCE.resolve("mixed_3_1/config.json"));
        assertEquals(List.of(BlockType.MLSTM, BlockType.SLSTM, BlockType.MLSTM, BlockType.MLSTM),
                mixed.getBlockTypes());

        XlstmLmConfig lm = XlstmLmConfig.fromJson(CONFORMANCE.resolve("lm_mixed/config.json"));
        assertEquals(50, lm.getVocabSize());
        assertFalse(lm.isTieWeights());
        assertEquals(BlockType.SLSTM, lm.getStack().blockType(0));
        assertEquals(BlockType.MLSTM, lm.getStack().blockType(1));
    }

    @Test
    void jsonAndYamlGiveEqualObjects() {
        XlstmStackConfig json = XlstmStackConfig.fromJson(CONFORMANCE.resolve("mixed_3_1/config.json"));
        XlstmStackConfig yaml = XlstmStackConfig.fromYaml(MIXED_YAML);
        assertEquals(json, yaml);
        assertEquals(json.hashCode(), yaml.hashCode());
        XlstmLmConfig lmYaml = XlstmLmConfig.fromYaml(MIXED_YAML + "vocab_size: 50\ntie_weights: true\n");
        XlstmLmConfig lmJson = XlstmLmConfig.fromJson("{\"vocab_size\": 50, \"tie_weights\": true, "
                + "\"num_blocks\": 4, \"embedding_dim\": 32, \"slstm_at\": [1], \"context_length\": 32, "
                + "\"mlstm_block\": {\"mlstm\": {}}, \"slstm_block\": {\"slstm\": {\"num_heads\": 4}, \"feedforward\": {}}}");
        assertEquals(lmJson, lmYaml);
    }

    @Test
    void officialDefaultsApply() {
        XlstmStackConfig c = XlstmStackConfig.fromJson("{\"mlstm_block\": {}, \"slstm_block\": {}, \"unknown_key\": 7}");
        assertEquals(128, c.getEmbeddingDim());
        assertEquals(1, c.getNumBlocks());
        assertEquals(-1, c.getContextLength());
        assertTrue(c.isAddPostBlocksNorm());
        assertFalse(c.isBias());
        assertEquals(0.0, c.getDropout());
        assertEquals(Collections.emptyList(), c.getSlstmAt());
        MlstmLayerConfig m = c.getMlstm();
        assertEquals(4, m.getConv1dKernelSize());
        assertEquals(4, m.getQkvProjBlocksize());
        assertEquals(4, m.getNumHeads());
        assertEquals(2.0, m.getProjFactor());
        assertEquals(256, m.getInnerSize());
        assertEquals(64, m.getHeadSize());
        SlstmLayerConfig s = c.getSlstm();
        assertEquals(4, s.getNumHeads());
        assertEquals(4, s.getConv1dKernelSize());
        assertEquals("powerlaw_blockdependent", s.getBiasInit());
        assertEquals("cuda", s.getBackend());
        assertTrue(s.isGroupNormWeight());
        FeedForwardConfig ff = c.getSlstmFeedForward();
        assertNotNull(ff);
        assertEquals(1.3, ff.getProjFactor());
        assertEquals("gelu", ff.getActFn());
        assertFalse(ff.isBias());

        XlstmStackConfig noFf = XlstmStackConfig.fromYaml("slstm_block:\n  feedforward: null\n");
        assertNull(noFf.getSlstmFeedForward());
        assertEquals(List.of(BlockType.SLSTM), noFf.getBlockTypes());
    }

    @Test
    void stackValuesArePushedIntoTheLayers() {
        XlstmStackConfig c = XlstmStackConfig.fromYaml(
                "embedding_dim: 64\nbias: true\ndropout: 0.1\ncontext_length: 9\nmlstm_block: {mlstm: {bias: false}}\n"
                        + "slstm_block: {slstm: {dropout: 0.5}}\n");
        assertTrue(c.getMlstm().isBias());
        assertEquals(0.1, c.getMlstm().getDropout());
        assertEquals(9, c.getMlstm().getContextLength());
        assertEquals(0.1, c.getSlstm().getDropout());
        assertEquals(64, c.getSlstmFeedForward().getEmbeddingDim());
    }

    @Test
    void derivedInnerSizes() {
        XlstmStackConfig small = XlstmStackConfig.fromJson(CONFORMANCE.resolve("mixed_3_1/config.json"));
        assertEquals(64, small.getMlstm().getInnerSize());
        assertEquals(16, small.getMlstm().getHeadSize());
        assertEquals(16, small.getMlstm().getNumProjBlocks());
        assertEquals(64, small.getSlstmFeedForward().getInnerSize());
        assertEquals(8, small.getSlstm().getHeadSize());
        XlstmStackConfig big = XlstmStackConfig.fromYaml("embedding_dim: 768\nslstm_block: {}\n");
        assertEquals(1024, big.getSlstmFeedForward().getInnerSize());
        assertEquals(1536, XlstmStackConfig.fromYaml("embedding_dim: 768\nmlstm_block: {}\n").getMlstm().getInnerSize());
        XlstmStackConfig down = XlstmStackConfig.fromYaml(
                "embedding_dim: 768\nslstm_block: {feedforward: {round_proj_up_dim_up: false}}\n");
        assertEquals(960, down.getSlstmFeedForward().getInnerSize());
    }

    private static void refused(String yaml, String... fragments) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> XlstmStackConfig.fromYaml(yaml));
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "'" + f + "' not in: " + e.getMessage());
        }
    }

    @Test
    void badValuesGiveClearErrors() {
        refused("embedding_dim: 32\nmlstm_block: {mlstm: {num_heads: 5}}\n",
                "mlstm_block.mlstm.num_heads", "divisor of the inner size = 64", "got 5");
        refused("embedding_dim: 30\nslstm_block: {slstm: {num_heads: 4}}\n",
                "slstm_block.slstm.num_heads", "embedding_dim = 30");
        refused("num_blocks: 2\nmlstm_block: {}\nslstm_block: {}\nslstm_at: [2]\n", "slstm_at[0]", "[0, 2)", "got 2");
        refused("num_blocks: 2\nmlstm_block: {}\nslstm_block: {}\nslstm_at: [-1]\n", "slstm_at[0]", "got -1");
        refused("num_blocks: 2\nmlstm_block: {}\nslstm_at: [1]\n", "slstm_at", "without an 'slstm_block'");
        refused("embedding_dim: -8\nmlstm_block: {}\n", "embedding_dim", ">= 1", "-8");
        refused("num_blocks: 0\nmlstm_block: {}\n", "num_blocks", ">= 1");
        refused("mlstm_block: {mlstm: {conv1d_kernel_size: -1}}\n", "conv1d_kernel_size", ">= 0");
        refused("mlstm_block: {mlstm: {num_heads: four}}\n", "mlstm_block.mlstm.num_heads", "expected an integer",
                "string \"four\"");
        refused("mlstm_block: {mlstm: {num_heads: 4.0}}\n", "num_heads", "expected an integer");
        refused("mlstm_block: {mlstm: {proj_factor: -2.0}}\n", "proj_factor", "> 0");
        refused("slstm_block: {feedforward: {act_fn: tanh}}\n", "slstm_block.feedforward.act_fn", "tanh");
        refused("slstm_block: {slstm: {backend: triton}}\n", "slstm_block.slstm.backend", "triton");
        refused("mlstm_block: {}\nslstm_at: first\n", "slstm_at", "\"all\"", "first");
        refused("mlstm_block: {}\ndropout: 1.5\n", "dropout", "[0, 1)");
        refused("mlstm_block: {}\nbias: yes please\n", "bias", "true or false");
        refused("mlstm_block: 3\n", "mlstm_block", "a mapping");
        refused("embedding_dim: 32\n", "mlstm_block", "slstm_block");
        refused("[1, 2]\n", "mapping at the top level");
        refused("mlstm_block: {mlstm: {num_heads: 4}\n", "not valid YAML");
        assertThrows(IllegalArgumentException.class, () -> XlstmStackConfig.fromJson("{\"num_blocks\": }"));
        IllegalArgumentException vocab = assertThrows(IllegalArgumentException.class,
                () -> XlstmLmConfig.fromYaml("mlstm_block: {}\n"));
        assertTrue(vocab.getMessage().contains("vocab_size"), vocab.getMessage());
    }
}
