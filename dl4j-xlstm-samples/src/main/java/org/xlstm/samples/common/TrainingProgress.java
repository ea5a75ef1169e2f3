package org.xlstm.samples.common;

import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.optimize.api.BaseTrainingListener;

import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * A DL4J training listener that draws a progress bar (minibatches done, ETA) with the current training loss.
 * Add it to a network with {@code net.addListeners(progress)} and close it when training ends.
 */
public final class TrainingProgress extends BaseTrainingListener implements AutoCloseable {

    private final ProgressBar bar;

    /** A bar for {@code totalIterations} minibatches (an upper bound is fine: early stopping may end sooner). */
    public TrainingProgress(String task, long totalIterations) {
        bar = new ProgressBarBuilder().setTaskName(task).setInitialMax(totalIterations)
                .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(1000).setMaxRenderedLength(110).build();
    }

    @Override
    public void iterationDone(Model model, int iteration, int epoch) {
        bar.step();
        bar.setExtraMessage(String.format(" epoch %d loss %.4f", epoch + 1, model.score()));
    }

    /** Sets the bar to complete (early stopping ended before the bound) and stops drawing it. */
    @Override
    public void close() {
        bar.maxHint(bar.getCurrent());
        bar.close();
    }
}
