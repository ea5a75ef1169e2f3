package org.xlstm.dl4j.imports;

import java.util.ArrayList;
import java.util.List;

import org.xlstm.dl4j.conf.MLSTMBlock;
import org.xlstm.dl4j.conf.SLSTMBlock;
import org.xlstm.dl4j.conf.XlstmLayerNorm;

/**
 * The correspondence between the official xLSTM state_dict names and layouts and the parameters of this
 * library's layers, per block type.
 */
public final class OfficialLayouts {

    private OfficialLayouts() {
    }

    /** An official mLSTM block ({@code blocks.i.}) against an {@link MLSTMBlock}. */
    public static List<ParameterMapping> mlstmBlock(String prefix, long embedding, long inner, int heads,
                                                    int convKernel, int qkvBlockSize, boolean bias) {
        List<ParameterMapping> list = new ArrayList<>();
        list.add(ParameterMapping.reshaped(prefix + "xlstm_norm.weight", MLSTMBlock.NORM_WEIGHT, new long[] {embedding}));
        String x = prefix + "xlstm.";
        list.add(ParameterMapping.transposed(x + "proj_up.weight", "upW", 2 * inner, embedding));
        if (bias) {
            list.add(ParameterMapping.reshaped(x + "proj_up.bias", "upB", new long[] {2 * inner}));
        }
        if (convKernel > 0) {
            list.add(conv(x + "conv1d.conv.weight", "convW", inner, convKernel));
            list.add(ParameterMapping.reshaped(x + "conv1d.conv.bias", "convB", new long[] {inner}));
        }
        for (String p : new String[] {"q", "k", "v"}) {
            // both layouts are [blocks, out, in]
            list.add(new ParameterMapping(x + p + "_proj.weight",
                    new long[] {inner / qkvBlockSize, qkvBlockSize, qkvBlockSize}, p + "W", a -> a, a -> a));
            if (bias) {
                list.add(ParameterMapping.reshaped(x + p + "_proj.bias", p + "B", new long[] {inner}));
            }
        }
        for (String gate : new String[] {"igate", "fgate"}) {
            list.add(ParameterMapping.transposed(x + "mlstm_cell." + gate + ".weight", gate + "W", heads,
                    3 * inner));
            list.add(ParameterMapping.reshaped(x + "mlstm_cell." + gate + ".bias", gate + "B", new long[] {heads}));
        }
        list.add(ParameterMapping.reshaped(x + "mlstm_cell.outnorm.weight", "normW", new long[] {inner}));
        list.add(ParameterMapping.reshaped(x + "learnable_skip", "skip", new long[] {inner}));
        list.add(ParameterMapping.transposed(x + "proj_down.weight", "downW", embedding, inner));
        if (bias) {
            list.add(ParameterMapping.reshaped(x + "proj_down.bias", "downB", new long[] {embedding}));
        }
        return list;
    }

    /**
     * An official sLSTM block against an {@link SLSTMBlock}. {@code cudaLayout} selects how the checkpoint
     * stores the recurrent kernel and bias (see {@link #isCudaLayout}).
     */
    public static List<ParameterMapping> slstmBlock(String prefix, long embedding, int heads, int convKernel,
                                                    long ffnInner, boolean bias, boolean cudaLayout) {
        long dh = embedding / heads;
        List<ParameterMapping> list = new ArrayList<>();
        list.add(ParameterMapping.reshaped(prefix + "xlstm_norm.weight", SLSTMBlock.NORM_WEIGHT, new long[] {embedding}));
        String x = prefix + "xlstm.";
        if (convKernel > 0) {
            list.add(conv(x + "conv1d.conv.weight", "convW", embedding, convKernel));
            list.add(ParameterMapping.reshaped(x + "conv1d.conv.bias", "convB", new long[] {embedding}));
        }
        long[] headwise = {heads, dh, dh};
        // The official module named "fgate" computes the INPUT gate and "igate" the FORGET gate.
        list.add(new ParameterMapping(x + "fgate.weight", headwise, "iW", a -> a, a -> a));
        list.add(new ParameterMapping(x + "igate.weight", headwise, "fW", a -> a, a -> a));
        list.add(new ParameterMapping(x + "zgate.weight", headwise, "zW", a -> a, a -> a));
        list.add(new ParameterMapping(x + "ogate.weight", headwise, "oW", a -> a, a -> a));
        list.add(recurrentKernel(x + "slstm_cell._recurrent_kernel_", heads, dh, cudaLayout));
        list.add(gateBias(x + "slstm_cell._bias_", heads, dh, cudaLayout));
        list.add(ParameterMapping.reshaped(x + "group_norm.weight", "gnW", new long[] {embedding}));
        list.add(ParameterMapping.reshaped(prefix + "ffn_norm.weight", SLSTMBlock.FFN_NORM_WEIGHT, new long[] {embedding}));
        list.add(ParameterMapping.transposed(prefix + "ffn.proj_up.weight", "ffnUpW", 2 * ffnInner, embedding));
        list.add(ParameterMapping.transposed(prefix + "ffn.proj_down.weight", "ffnDownW", embedding,
                ffnInner));
        if (bias) {
            list.add(ParameterMapping.reshaped(prefix + "ffn.proj_up.bias", "ffnUpB", new long[] {2 * ffnInner}));
            list.add(ParameterMapping.reshaped(prefix + "ffn.proj_down.bias", "ffnDownB", new long[] {embedding}));
        }
        return list;
    }

    /** The stack's final LayerNorm. */
    public static List<ParameterMapping> postBlocksNorm(String name, long embedding) {
        List<ParameterMapping> list = new ArrayList<>();
        list.add(ParameterMapping.reshaped(name, XlstmLayerNorm.WEIGHT, new long[] {embedding}));
        return list;
    }

    /**
     * The sLSTM checkpoint layout, told apart by the recurrent kernel's shape: vanilla stores
     * [NH, 4*DH, DH], cuda [NH, DH, 4*DH] (they coincide only for DH = 4*DH, which cannot happen).
     */
    public static boolean isCudaLayout(long[] recurrentKernelShape, int heads, long dh) {
        if (recurrentKernelShape.length == 3 && recurrentKernelShape[0] == heads) {
            if (recurrentKernelShape[1] == 4 * dh && recurrentKernelShape[2] == dh) {
                return false;
            }
            if (recurrentKernelShape[1] == dh && recurrentKernelShape[2] == 4 * dh) {
                return true;
            }
        }
        throw new WeightFileException("sLSTM recurrent kernel has shape " + java.util.Arrays.toString(recurrentKernelShape)
                + " but expected [" + heads + ", " + 4 * dh + ", " + dh + "] (vanilla layout) or [" + heads + ", " + dh
                + ", " + 4 * dh + "] (cuda layout)");
    }

    /** PyTorch depthwise conv weight [C, 1, K] against our [K, C]. */
    private static ParameterMapping conv(String official, String ours, long channels, int kernel) {
        return new ParameterMapping(official, new long[] {channels, 1, kernel}, ours,
                a -> a.reshape(channels, kernel).transpose().dup('c'),
                a -> a.reshape(kernel, channels).transpose().dup('c').reshape(channels, 1, kernel));
    }

    /** Ours: [NH, DH_in, 4, DH_out] (the official external layout). */
    private static ParameterMapping recurrentKernel(String official, int heads, long dh, boolean cudaLayout) {
        if (cudaLayout) {
            return new ParameterMapping(official, new long[] {heads, dh, 4 * dh}, "R",
                    a -> a.reshape(heads, dh, 4, dh),
                    a -> a.reshape(heads, dh, 4 * dh));
        }
        return new ParameterMapping(official, new long[] {heads, 4 * dh, dh}, "R",
                a -> a.reshape(heads, 4, dh, dh).permute(0, 3, 1, 2).dup('c'),
                a -> a.reshape(heads, dh, 4, dh).permute(0, 2, 3, 1).dup('c').reshape(heads, 4 * dh, dh));
    }

    /** Ours: head-major [NH, 4, DH] flattened; vanilla stores gate-major [4, NH, DH]. */
    private static ParameterMapping gateBias(String official, int heads, long dh, boolean cudaLayout) {
        if (cudaLayout) {
            return new ParameterMapping(official, new long[] {4 * heads * dh}, "b", a -> a,
                    a -> a.reshape(4 * heads * dh));
        }
        return new ParameterMapping(official, new long[] {4 * heads * dh}, "b",
                a -> a.reshape(4, heads, dh).permute(1, 0, 2).dup('c'),
                a -> a.reshape(heads, 4, dh).permute(1, 0, 2).dup('c').reshape(4 * heads * dh));
    }
}
