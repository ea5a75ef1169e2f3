package org.xlstm.samples.swaplstm;

import java.util.Iterator;
import java.util.Random;

import org.nd4j.linalg.dataset.DataSet;

/**
 * Minibatches of a data set in a new random order at every pass: wrapped in an {@code ExistingDataSetIterator},
 * each {@code reset()} (which the early-stopping trainer calls before every epoch) starts a new pass.
 */
final class ShuffledBatches implements Iterable<DataSet> {

    private final DataSet data;
    private final int batchSize;
    private final Random random;

    ShuffledBatches(DataSet data, int batchSize, Random random) {
        this.data = data.copy();
        this.batchSize = batchSize;
        this.random = random;
    }

    @Override
    public Iterator<DataSet> iterator() {
        data.shuffle(random.nextLong());
        return data.batchBy(batchSize).iterator();
    }
}
