package org.xlstm.dl4j.imports;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class OfficialParameterCountTest {

    static final Path CONFORMANCE = SafetensorsTest.CONFORMANCE;

    private static long tensorElements(String caseName) {
        try (SafetensorsFile st = SafetensorsReader.open(CONFORMANCE.resolve(caseName).resolve("weights.safetensors"))) {
            return st.totalElementCount();
        }
    }

    @Test
    void matchesEveryConformanceWeightFile() {
        for (String c : new String[] {"mlstm_only", "slstm_only", "mixed_3_1"}) {
            XlstmStackConfig config = XlstmStackConfig.fromJson(CONFORMANCE.resolve(c).resolve("config.json"));
            assertEquals(tensorElements(c), OfficialParameterCount.of(config), c);
        }
        XlstmLmConfig lm = XlstmLmConfig.fromJson(CONFORMANCE.resolve("lm_mixed/config.json"));
        assertEquals(tensorElements("lm_mixed"), OfficialParameterCount.of(lm));
    }

    @Test
    void xlstm7to1At125M() {
        XlstmLmConfig lm = XlstmLmConfig.fromYaml(String.join("\n",
                "embedding_dim: 768",
                "num_blocks: 24",
                "slstm_at: [3, 20]",
                "vocab_size: 50304",
                "tie_weights: false",
                "mlstm_block:",
                "  mlstm: {conv1d_kernel_size: 4, qkv_proj_blocksize: 4, num_heads: 4, proj_factor: 2.0}",
                "slstm_block:",
                "  slstm: {num_heads: 4, conv1d_kernel_size: 4}",
                "  feedforward: {proj_factor: 1.3, act_fn: gelu}",
                ""));
        assertEquals(163_690_928L, OfficialParameterCount.of(lm));
    }

    @Test
    void tiedMlstmOnlyLm() {
        XlstmLmConfig lm = XlstmLmConfig.fromJson("{\"embedding_dim\": 768, \"num_blocks\": 12, "
                + "\"vocab_size\": 50304, \"tie_weights\": true, \"mlstm_block\": {\"mlstm\": {}}}");
        assertEquals(81_903_456L, OfficialParameterCount.of(lm));
    }

    @Test
    void optionalPartsChangeTheCount() {
        XlstmStackConfig base = XlstmStackConfig.fromYaml("embedding_dim: 32\nmlstm_block: {}\n");
        XlstmStackConfig withBias = XlstmStackConfig.fromYaml("embedding_dim: 32\nbias: true\nmlstm_block: {}\n");
        // proj_up (128) + q, k, v (3 * 64) + proj_down (32) biases.
        assertEquals(128 + 192 + 32, OfficialParameterCount.of(withBias) - OfficialParameterCount.of(base));
        XlstmStackConfig noConv = XlstmStackConfig.fromYaml(
                "embedding_dim: 32\nadd_post_blocks_norm: false\nmlstm_block: {mlstm: {conv1d_kernel_size: 0}}\n");
        // conv weight 64 * 4 + bias 64, and the post-blocks norm 32.
        assertEquals(64 * 4 + 64 + 32, OfficialParameterCount.of(base) - OfficialParameterCount.of(noConv));
        XlstmStackConfig slstm = XlstmStackConfig.fromYaml("embedding_dim: 32\nslstm_block: {}\n");
        XlstmStackConfig slstmNoFf = XlstmStackConfig.fromYaml("embedding_dim: 32\nslstm_block: {feedforward: null}\n");
        // ffn_norm 32 + proj_up 128 x 32 + proj_down 32 x 64.
        assertEquals(32 + 128 * 32 + 32 * 64, OfficialParameterCount.of(slstm) - OfficialParameterCount.of(slstmNoFf));
    }
}
