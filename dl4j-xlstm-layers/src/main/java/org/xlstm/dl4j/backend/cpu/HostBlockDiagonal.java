package org.xlstm.dl4j.backend.cpu;

import static org.nd4j.linalg.indexing.NDArrayIndex.all;
import static org.nd4j.linalg.indexing.NDArrayIndex.point;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The block-diagonal map of {@link BlockDiagonalLinear} as a few dense OpenBLAS products on the CPU backend,
 * for what {@link HostSmallBlockDiagonal} does not take: wide blocks (sLSTM heads), non-square blocks and
 * float64. Consecutive blocks are grouped into one dense block-diagonal matrix of about {@link #GROUP_WIDTH}
 * columns, and each group is one GEMM on a column window of x and y in place. The zeros off the diagonal
 * multiply too (up to GROUP_WIDTH / block width more arithmetic), which for small blocks is still far
 * cheaper than permuting x and y into block-major copies; blocks of GROUP_WIDTH or more form groups of one.
 */
final class HostBlockDiagonal {
    /** Wide enough for OpenBLAS to run near its peak, narrow enough to waste little on zeros. */
    static final long GROUP_WIDTH = 64;

    private HostBlockDiagonal() {
    }

    /** y = x blockdiag(w[i]^T): x [N, nb*bin], w [nb, bout, bin], y [N, nb*bout] preallocated. */
    static void forward(INDArray x, INDArray w, INDArray y) {
        Grouping g = new Grouping(w);
        INDArray dense = g.dense(w);
        for (long group = 0; group < g.groups; group++) {
            INDArray weight = dense.get(point(group), all(), all());
            HostGemm.gemm(false, false, (int) x.size(0), (int) g.outWidth, (int) g.inWidth,
                    new HostGemm.Window(x, group * g.inWidth), new HostGemm.Window(weight, 0),
                    new HostGemm.Window(y, group * g.outWidth));
        }
    }

    /** Writes dW [nb, bout, bin] and dx [N, nb*bin] (preallocated) for dy [N, nb*bout]. */
    static void backward(INDArray x, INDArray w, INDArray dy, INDArray dW, INDArray dx) {
        Grouping g = new Grouping(w);
        INDArray dense = g.dense(w);
        INDArray products = Nd4j.createUninitialized(x.dataType(), g.groups, g.outWidth, g.inWidth);
        int rows = (int) x.size(0);
        for (long group = 0; group < g.groups; group++) {
            HostGemm.Window dyWindow = new HostGemm.Window(dy, group * g.outWidth);
            HostGemm.gemm(false, true, rows, (int) g.inWidth, (int) g.outWidth, dyWindow,
                    new HostGemm.Window(dense.get(point(group), all(), all()), 0),
                    new HostGemm.Window(dx, group * g.inWidth));
            HostGemm.gemm(true, false, (int) g.outWidth, (int) g.inWidth, rows, dyWindow,
                    new HostGemm.Window(x, group * g.inWidth),
                    new HostGemm.Window(products.get(point(group), all(), all()), 0));
        }
        g.assignDiagonalBlocks(products, dW);
    }

    /** How the nb blocks are grouped: {@code perGroup} consecutive blocks per dense product. */
    private static final class Grouping {
        final long blocks;
        final long bout;
        final long bin;
        final long perGroup;
        final long groups;
        final long inWidth;
        final long outWidth;

        Grouping(INDArray w) {
            blocks = w.size(0);
            bout = w.size(1);
            bin = w.size(2);
            long widest = Math.max(1, GROUP_WIDTH / Math.max(bin, bout));
            long k = Math.min(blocks, widest);
            while (blocks % k != 0) {
                k--;
            }
            perGroup = k;
            groups = blocks / k;
            inWidth = k * bin;
            outWidth = k * bout;
        }

        /** [groups, inWidth, outWidth]: per group the block-diagonal matrix of its blocks' w[i]^T. */
        INDArray dense(INDArray w) {
            INDArray dense = Nd4j.zeros(w.dataType(), groups, perGroup, bin, perGroup, bout);
            // w is often a view of DL4J's flat parameter vector, whose reshaped views ND4J M2.1 gets wrong
            INDArray transposed = w.dup('c').reshape(groups, perGroup, bout, bin).permute(0, 1, 3, 2);
            for (long b = 0; b < perGroup; b++) {
                dense.get(all(), point(b), all(), point(b), all()).assign(transposed.get(all(), point(b), all(), all()));
            }
            return dense.reshape(groups, inWidth, outWidth);
        }

        /** dW[i] from the diagonal blocks of the per-group products [groups, outWidth, inWidth]. */
        void assignDiagonalBlocks(INDArray products, INDArray dW) {
            INDArray byBlock = products.reshape(groups, perGroup, bout, perGroup, bin);
            INDArray gathered = Nd4j.createUninitialized(dW.dataType(), groups, perGroup, bout, bin);
            for (long b = 0; b < perGroup; b++) {
                gathered.get(all(), point(b), all(), all()).assign(byBlock.get(all(), point(b), all(), point(b), all()));
            }
            // assigned whole: dW is a view of DL4J's flat gradient vector (see dense)
            dW.assign(gathered.reshape(dW.shape()));
        }
    }
}
