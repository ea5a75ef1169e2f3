package org.xlstm.samples.swaplstm;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Random;

import org.nd4j.linalg.dataset.DataSet;

/**
 * Full minibatches of a data set in a new random order at every pass (the remainder left over by the batch size
 * differs from pass to pass): wrapped in an {@code ExistingDataSetIterator},
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
        List<DataSet> batches = new ArrayList<>(data.batchBy(batchSize));
        // only full minibatches: every call then has the same shape, and a new shape costs a warm-up
        // (workspaces are sized again, native buffers allocated) each time it first appears
        if (batches.size() > 1 && batches.get(batches.size() - 1).numExamples() < batchSize) {
            batches.remove(batches.size() - 1);
        }
        return batches.iterator();
    }
}
