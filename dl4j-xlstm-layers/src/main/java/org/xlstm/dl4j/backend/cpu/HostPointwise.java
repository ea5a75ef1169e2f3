package org.xlstm.dl4j.backend.cpu;

import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The SiLU of {@link Activations} for dense c-order float32 arrays on the CPU backend, as one fused pass
 * over chunks read into heap scratch: ND4J runs the same formulas as about three (forward) or seven
 * (backward) separate passes over full-size arrays. Element-wise, so the shape does not matter; the
 * arrays are walked as flat runs of their elements.
 *
 * <p>The sigmoid uses {@link HostExp}: a loop over {@code Math.exp} was slower than ND4J's vectorised passes.
 */
final class HostPointwise {
    private static final String OP = "Activations";
    /** Elements per chunk: the scratch of a chunk stays in L1. */
    private static final int CHUNK = 1024;
    /** Chunks per parallel task: below this, forking costs more than it saves. */
    private static final int MIN_CHUNKS_PER_TASK = 32;
    private HostPointwise() {
    }

    /** A new array {@code x * sigmoid(x)}. */
    static INDArray silu(INDArray x) {
        INDArray y = Nd4j.createUninitialized(DataType.FLOAT, x.shape());
        FloatPointer xp = HostArrays.pointer(x, OP + " silu x");
        FloatPointer yp = HostArrays.pointer(y, OP + " silu y");
        forEachChunk(x.length(), (offset, n, w) -> {
            HostArrays.read(xp, offset, w.x, 0, n);
            sigmoid(w.x, n, w.s, w.e);
            for (int i = 0; i < n; i++) {
                w.x[i] *= w.s[i];
            }
            HostArrays.write(w.x, 0, n, yp, offset);
        });
        return y;
    }

    /** A new array {@code dy * s * (1 + x (1 - s))} with s = sigmoid(x). */
    static INDArray siluBackward(INDArray x, INDArray dy) {
        INDArray dx = Nd4j.createUninitialized(DataType.FLOAT, x.shape());
        FloatPointer xp = HostArrays.pointer(x, OP + " siluBackward x");
        FloatPointer dyp = HostArrays.pointer(dy, OP + " siluBackward dy");
        FloatPointer dxp = HostArrays.pointer(dx, OP + " siluBackward dx");
        forEachChunk(x.length(), (offset, n, w) -> {
            HostArrays.read(xp, offset, w.x, 0, n);
            HostArrays.read(dyp, offset, w.g, 0, n);
            sigmoid(w.x, n, w.s, w.e);
            for (int i = 0; i < n; i++) {
                // 1 - s = e s, which keeps its precision where s is close to 1
                w.g[i] *= w.s[i] * (1f + w.x[i] * (w.e[i] * w.s[i]));
            }
            HostArrays.write(w.g, 0, n, dxp, offset);
        });
        return dx;
    }

    /** One task's heap scratch for a chunk: inputs x and g, the sigmoid s and e = exp(-x). */
    private static final class ChunkScratch {
        final float[] x = new float[CHUNK];
        final float[] g = new float[CHUNK];
        final float[] s = new float[CHUNK];
        final float[] e = new float[CHUNK];
    }

    @FunctionalInterface
    private interface ChunkBody {
        void run(long offset, int length, ChunkScratch scratch);
    }

    /** Runs {@code body} over the flat elements [0, length) in chunks of {@link #CHUNK}, tasks in parallel. */
    private static void forEachChunk(long length, ChunkBody body) {
        HostArrays.forRows(chunks(length), MIN_CHUNKS_PER_TASK, (from, to) -> {
            ChunkScratch scratch = new ChunkScratch();
            for (int c = from; c < to; c++) {
                long offset = (long) c * CHUNK;
                body.run(offset, (int) Math.min(CHUNK, length - offset), scratch);
            }
        });
    }

    /** s[i] = sigmoid(x[i]) = 1 / (1 + e[i]) and e[i] = exp(-x[i]) for i < n, relative error below 2e-7. */
    static void sigmoid(float[] x, int n, float[] s, float[] e) {
        HostExp.exp(x, -1f, n, e, s);
        for (int i = 0; i < n; i++) {
            s[i] = 1f / (1f + e[i]);
        }
    }

    private static int chunks(long length) {
        return Math.toIntExact((length + CHUNK - 1) / CHUNK);
    }
}
