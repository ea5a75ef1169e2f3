package org.xlstm.dl4j.kernel.portable;

import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.xlstm.dl4j.kernel.ScalarMemoryState;

/** Random sLSTM inputs with both a Java-array and an ND4J form. */
final class ScalarMemoryTestData {
    final int batch, time, heads, size;
    final double[][][][][] preact;
    final double[][][][] recurrent;
    /** {h, c, n, m}, each [B][NH*DH]; n strictly positive. */
    final double[][][] initial;

    ScalarMemoryTestData(long seed, int batch, int time, int heads, int size) {
        this.batch = batch;
        this.time = time;
        this.heads = heads;
        this.size = size;
        Random random = new Random(seed);
        preact = new double[batch][time][heads][4][size];
        for (double[][][][] b : preact) {
            for (double[][][] t : b) {
                for (double[][] g : t) {
                    for (int gate = 0; gate < 4; gate++) {
                        for (int j = 0; j < size; j++) {
                            // spread the input gate so that both branches of the stabilizer max occur
                            g[gate][j] = random.nextGaussian() * (gate == 0 ? 3.0 : 1.0) + (gate == 1 ? 1.0 : 0.0);
                        }
                    }
                }
            }
        }
        recurrent = new double[heads][size][4][size];
        for (double[][][] g : recurrent) {
            for (double[][] k : g) {
                for (double[] gate : k) {
                    for (int j = 0; j < size; j++) {
                        gate[j] = random.nextGaussian() * 0.8 / Math.sqrt(size);
                    }
                }
            }
        }
        int units = heads * size;
        initial = new double[4][batch][units];
        for (int b = 0; b < batch; b++) {
            for (int u = 0; u < units; u++) {
                initial[0][b][u] = random.nextGaussian() * 0.5;
                initial[1][b][u] = random.nextGaussian();
                initial[2][b][u] = 0.5 + 2 * random.nextDouble();
                initial[3][b][u] = random.nextGaussian();
            }
        }
    }

    INDArray preact(DataType type) {
        double[] flat = new double[batch * time * heads * 4 * size];
        int p = 0;
        for (double[][][][] b : preact) {
            for (double[][][] t : b) {
                for (double[][] g : t) {
                    for (double[] gate : g) {
                        for (double v : gate) {
                            flat[p++] = v;
                        }
                    }
                }
            }
        }
        return Nd4j.create(flat, new long[] {batch, time, heads, 4, size}, DataType.DOUBLE).castTo(type);
    }

    INDArray recurrent(DataType type) {
        double[] flat = new double[heads * size * 4 * size];
        int p = 0;
        for (double[][][] g : recurrent) {
            for (double[][] k : g) {
                for (double[] gate : k) {
                    for (double v : gate) {
                        flat[p++] = v;
                    }
                }
            }
        }
        return Nd4j.create(flat, new long[] {heads, size, 4, size}, DataType.DOUBLE).castTo(type);
    }

    ScalarMemoryState initial(DataType type) {
        return new ScalarMemoryState(matrix(initial[0], type), matrix(initial[1], type), matrix(initial[2], type),
                matrix(initial[3], type));
    }

    static INDArray matrix(double[][] rows, DataType type) {
        return Nd4j.createFromArray(rows).castTo(type);
    }

    static INDArray random(long seed, DataType type, long... shape) {
        Random random = new Random(seed);
        INDArray a = Nd4j.create(DataType.DOUBLE, shape);
        for (long i = 0; i < a.length(); i++) {
            a.putScalar(i, random.nextGaussian());
        }
        return a.castTo(type);
    }

    static double maxAbsDiff(INDArray a, INDArray b) {
        return a.castTo(DataType.DOUBLE).sub(b.castTo(DataType.DOUBLE)).amaxNumber().doubleValue();
    }
}
