package org.xlstm.dl4j;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class BackendSmokeTest {
    @Test
    void matmulMatchesTripleLoop() {
        Nd4j.getRandom().setSeed(1);
        INDArray a = Nd4j.rand(DataType.DOUBLE, 37, 53);
        INDArray b = Nd4j.rand(DataType.DOUBLE, 53, 29);
        INDArray c = a.mmul(b);
        for (int i = 0; i < 37; i += 7) {
            for (int j = 0; j < 29; j += 5) {
                double s = 0;
                for (int k = 0; k < 53; k++) {
                    s += a.getDouble(i, k) * b.getDouble(k, j);
                }
                assertEquals(s, c.getDouble(i, j), 1e-12);
            }
        }
    }
}
