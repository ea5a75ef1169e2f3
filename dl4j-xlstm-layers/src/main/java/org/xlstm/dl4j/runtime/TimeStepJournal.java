package org.xlstm.dl4j.runtime;

import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;

import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Makes a network's {@code rnnTimeStep} all or nothing for its xLSTM layers, from inside them: DL4J's
 * MultiLayerNetwork and ComputationGraph step their layers one after the other on the calling thread and keep no
 * record a layer could reach, so each xLSTM layer notes here, per thread, that it is stepping in the current pass;
 * the layer that fails puts every layer noted in its pass back to the state it had before the pass, then throws.
 *
 * <p>A pass is the run of steps on one thread by layers of one network: a step by a layer of another network (told
 * apart by the parameter buffer all layers of a network are views of), or a second step by a layer already in the
 * pass, starts a new one. So stepping network A and then network B on one thread can never give A's committed
 * states back, and a pass cut short by an error outside the xLSTM layers is forgotten at the next step. Each entry
 * also carries the layer's step count, so a layer that has stepped again since (on another thread) is left alone.
 * Everything is held weakly: the journal never keeps a network alive.
 *
 * <p>Only xLSTM layers take part: DL4J's own recurrent layers cannot be reached from here. A caller that wraps the
 * whole network call (see {@code TransactionalTimeStep}) brackets it with {@link #beginPass} and
 * {@link #rollBackPass} to cover failures raised outside the xLSTM layers.
 */
public final class TimeStepJournal {

    private static final ThreadLocal<TimeStepJournal> CURRENT = ThreadLocal.withInitial(TimeStepJournal::new);

    private WeakReference<Object> network = new WeakReference<>(null);
    private final List<Entry> pass = new ArrayList<>();

    private static final class Entry {
        final WeakReference<XlstmRecurrentLayer> layer;
        final long step;

        Entry(XlstmRecurrentLayer layer, long step) {
            this.layer = new WeakReference<>(layer);
            this.step = step;
        }
    }

    private TimeStepJournal() {
    }

    /** {@code layer}, whose parameters are {@code params}, is about to take its step number {@code step}. */
    static void stepping(XlstmRecurrentLayer layer, INDArray params, long step) {
        TimeStepJournal journal = CURRENT.get();
        Object key = networkOf(layer, params);
        if (journal.network.get() != key || journal.contains(layer)) {
            journal.pass.clear();
            journal.network = new WeakReference<>(key);
        }
        journal.pass.add(new Entry(layer, step));
    }

    /** A network step starts on this thread: layers stepped before it are out of reach of {@link #rollBackPass}. */
    public static void beginPass() {
        TimeStepJournal journal = CURRENT.get();
        journal.pass.clear();
        journal.network = new WeakReference<>(null);
    }

    /** A step of the current pass failed: every layer of the pass goes back to its state before the pass. */
    public static void rollBackPass() {
        TimeStepJournal journal = CURRENT.get();
        for (Entry entry : journal.pass) {
            XlstmRecurrentLayer layer = entry.layer.get();
            if (layer != null) {
                layer.undoStep(entry.step);
            }
        }
        beginPass();
    }

    private boolean contains(XlstmRecurrentLayer layer) {
        for (Entry entry : pass) {
            if (entry.layer.get() == layer) {
                return true;
            }
        }
        return false;
    }

    /**
     * The buffer the network's parameter vector lives in, which every layer's parameters are a view of; a layer
     * without parameters is a network of its own (it is then rolled back only when it fails itself).
     */
    private static Object networkOf(XlstmRecurrentLayer layer, INDArray params) {
        if (params == null) {
            return layer;
        }
        DataBuffer buffer = params.data();
        while (buffer.underlyingDataBuffer() != null && buffer.underlyingDataBuffer() != buffer) {
            buffer = buffer.underlyingDataBuffer();
        }
        return buffer;
    }
}
