package org.xlstm.samples.recall;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Multi-query associative recall (MQAR, Arora et al. 2023, as in the xLSTM paper): a sequence first shows
 * {@code pairs} key-value pairs, then asks for every key again in a new order; at each query the model must
 * name the value that came with the key.
 *
 * <p>Each pair is one time step whose input holds both one-hot codes, key in the first {@code keys} features
 * and value in the next {@code values}; a query step holds the key only. A pair in one step lets a single
 * attention layer (which has no notion of order) bind key and value just as a recurrent layer can, so the
 * comparison is of memory, not of position handling. Labels (the value's class) are scored at query steps.
 */
final class AssociativeRecall {

    final int keys;
    final int values;
    final int pairs;

    AssociativeRecall(int keys, int values, int pairs) {
        if (pairs > keys) {
            throw new IllegalArgumentException("pairs (" + pairs + ") must not exceed the distinct keys (" + keys + ")");
        }
        this.keys = keys;
        this.values = values;
        this.pairs = pairs;
    }

    int features() {
        return keys + values;
    }

    int length() {
        return 2 * pairs;
    }

    /** {@code n} random sequences: features [n, keys + values, 2·pairs], labels [n, values, 2·pairs], query mask. */
    DataSet batch(Random random, int n) {
        INDArray features = Nd4j.create(DataType.FLOAT, n, features(), length());
        INDArray labels = Nd4j.create(DataType.FLOAT, n, values, length());
        INDArray mask = Nd4j.create(DataType.FLOAT, n, length());
        List<Integer> allKeys = new ArrayList<>();
        for (int k = 0; k < keys; k++) {
            allKeys.add(k);
        }
        int[] valueOf = new int[keys];
        for (int i = 0; i < n; i++) {
            Collections.shuffle(allKeys, random);
            List<Integer> shown = new ArrayList<>(allKeys.subList(0, pairs));
            for (int p = 0; p < pairs; p++) {
                int key = shown.get(p);
                valueOf[key] = random.nextInt(values);
                features.putScalar(i, key, p, 1);
                features.putScalar(i, keys + valueOf[key], p, 1);
            }
            Collections.shuffle(shown, random);
            for (int q = 0; q < pairs; q++) {
                int key = shown.get(q);
                int t = pairs + q;
                features.putScalar(i, key, t, 1);
                labels.putScalar(i, valueOf[key], t, 1);
                mask.putScalar(i, t, 1);
            }
        }
        return new DataSet(features, labels, null, mask);
    }
}
