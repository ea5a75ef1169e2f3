package org.xlstm.dl4j.cuda;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.xlstm.dl4j.kernel.MatrixMemoryState;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Random;

/**
 * Inputs of one mLSTM cell test (flattened, c-order, values already rounded to float32 so that the float64
 * reference sees exactly what the FP32 kernels see). Sequence shapes: q, k, v, dh [B, NH, T, DH]; ig, fg
 * [B, NH, T]; mask [B, T]; initial state c0 [B, NH, DH, DH], n0 [B, NH, DH], m0 [B, NH] (null = zeros).
 */
final class MlstmCase {
    final int b, nh, t, dh;
    double[] q, k, v, ig, fg, mask, c0, n0, m0, dhUp;

    MlstmCase(int b, int nh, int t, int dh) {
        this.b = b;
        this.nh = nh;
        this.t = t;
        this.dh = dh;
    }

    static MlstmCase random(long seed, int b, int nh, int t, int dh, boolean withMask, boolean withInitial) {
        Random rnd = new Random(seed);
        MlstmCase c = new MlstmCase(b, nh, t, dh);
        int seq = b * nh * t * dh;
        c.q = normal(rnd, seq, 1, 0);
        c.k = normal(rnd, seq, 1, 0);
        c.v = normal(rnd, seq, 1, 0);
        c.dhUp = normal(rnd, seq, 1, 0);
        // Input gates spread over both signs, forget gates mostly open: both regimes of the stabilizer occur.
        c.ig = normal(rnd, b * nh * t, 2, 0);
        c.fg = normal(rnd, b * nh * t, 1.5, 1.5);
        if (withMask) {
            c.mask = new double[b * t];
            java.util.Arrays.fill(c.mask, 1);
            // Padding at the end of sequence 0 and a hole inside the last one.
            for (int s = Math.max(1, t - 2); s < t; s++) c.mask[s] = 0;
            if (t > 2) c.mask[(b - 1) * t + 1] = 0;
        }
        if (withInitial) {
            c.c0 = normal(rnd, b * nh * dh * dh, 0.3, 0);
            c.n0 = normal(rnd, b * nh * dh, 1, 0);
            c.m0 = normal(rnd, b * nh, 1, 0);
        }
        return c;
    }

    private static double[] normal(Random rnd, int n, double std, double mean) {
        double[] a = new double[n];
        for (int i = 0; i < n; i++) a[i] = (float) (mean + std * rnd.nextGaussian());
        return a;
    }

    boolean hasInitial() {
        return c0 != null;
    }

    /** Writes the harness inputs of a sequence run into dir. */
    void writeSequence(Path dir) throws IOException {
        long[] seq = {b, nh, t, dh};
        long[] gate = {b, nh, t};
        Npy.writeFloat32(dir.resolve("q.npy"), seq, q);
        Npy.writeFloat32(dir.resolve("k.npy"), seq, k);
        Npy.writeFloat32(dir.resolve("v.npy"), seq, v);
        Npy.writeFloat32(dir.resolve("dh.npy"), seq, dhUp);
        Npy.writeFloat32(dir.resolve("ig.npy"), gate, ig);
        Npy.writeFloat32(dir.resolve("fg.npy"), gate, fg);
        if (mask != null) Npy.writeFloat32(dir.resolve("mask.npy"), new long[] {b, t}, mask);
        writeState(dir);
    }

    /** Writes the harness inputs of a single step (requires t == 1) into dir. */
    void writeStep(Path dir) throws IOException {
        long[] vec = {b, nh, dh};
        long[] gate = {b, nh};
        Npy.writeFloat32(dir.resolve("q.npy"), vec, q);
        Npy.writeFloat32(dir.resolve("k.npy"), vec, k);
        Npy.writeFloat32(dir.resolve("v.npy"), vec, v);
        Npy.writeFloat32(dir.resolve("ig.npy"), gate, ig);
        Npy.writeFloat32(dir.resolve("fg.npy"), gate, fg);
        if (mask != null) Npy.writeFloat32(dir.resolve("mask.npy"), new long[] {b}, mask);
        writeState(dir);
    }

    private void writeState(Path dir) throws IOException {
        if (c0 == null) return;
        Npy.writeFloat32(dir.resolve("c0.npy"), new long[] {b, nh, dh, dh}, c0);
        Npy.writeFloat32(dir.resolve("n0.npy"), new long[] {b, nh, dh}, n0);
        Npy.writeFloat32(dir.resolve("m0.npy"), new long[] {b, nh}, m0);
    }

    // ND4J views of the case (float64; the values are float32-exact), for the portable and CUDA kernels.
    INDArray ndQ() {
        return nd(q, b, nh, t, dh);
    }

    INDArray ndK() {
        return nd(k, b, nh, t, dh);
    }

    INDArray ndV() {
        return nd(v, b, nh, t, dh);
    }

    INDArray ndDh() {
        return nd(dhUp, b, nh, t, dh);
    }

    INDArray ndIgate() {
        return nd(ig, b, nh, t);
    }

    INDArray ndFgate() {
        return nd(fg, b, nh, t);
    }

    INDArray ndMask() {
        return mask == null ? null : nd(mask, b, t);
    }

    MatrixMemoryState ndInitial() {
        return c0 == null ? null : new MatrixMemoryState(nd(c0, b, nh, dh, dh), nd(n0, b, nh, dh), nd(m0, b, nh));
    }

    static INDArray nd(double[] data, long... shape) {
        return Nd4j.create(data, shape, DataType.DOUBLE);
    }

    static double[] host(INDArray a) {
        return a.castTo(DataType.DOUBLE).dup('c').data().asDouble();
    }
}
