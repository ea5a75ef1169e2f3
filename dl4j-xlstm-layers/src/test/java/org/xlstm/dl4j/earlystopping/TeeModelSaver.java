package org.xlstm.dl4j.earlystopping;

import java.io.IOException;

import org.deeplearning4j.earlystopping.EarlyStoppingModelSaver;
import org.deeplearning4j.earlystopping.saver.InMemoryModelSaver;
import org.deeplearning4j.nn.api.Model;

/**
 * Saves every model the early-stopping trainer hands over twice: into an {@link InMemoryModelSaver} (a
 * {@code clone()} of the network) and into a file saver (ModelSerializer). The trainer's result takes its best
 * model from the in-memory copy, so the file copy can be restored and compared against it independently.
 */
final class TeeModelSaver<T extends Model> implements EarlyStoppingModelSaver<T> {
    private final InMemoryModelSaver<T> memory = new InMemoryModelSaver<>();
    private final EarlyStoppingModelSaver<T> file;
    private int bestSaves;

    TeeModelSaver(EarlyStoppingModelSaver<T> file) {
        this.file = file;
    }

    @Override
    public void saveBestModel(T net, double score) throws IOException {
        memory.saveBestModel(net, score);
        file.saveBestModel(net, score);
        bestSaves++;
    }

    @Override
    public void saveLatestModel(T net, double score) throws IOException {
        memory.saveLatestModel(net, score);
        file.saveLatestModel(net, score);
    }

    @Override
    public T getBestModel() throws IOException {
        return memory.getBestModel();
    }

    @Override
    public T getLatestModel() throws IOException {
        return memory.getLatestModel();
    }

    InMemoryModelSaver<T> memory() {
        return memory;
    }

    EarlyStoppingModelSaver<T> file() {
        return file;
    }

    /** How often a new best model was saved. */
    int bestSaves() {
        return bestSaves;
    }
}
