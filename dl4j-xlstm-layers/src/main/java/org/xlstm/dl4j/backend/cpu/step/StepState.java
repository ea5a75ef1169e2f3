package org.xlstm.dl4j.backend.cpu.step;

import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.xlstm.dl4j.backend.cpu.HostArrays;

/**
 * The recurrent state arrays the step form updates in place, under the same keys and shapes as the general
 * path's state. Copy-on-write towards everyone else: only arrays this object created and has not handed
 * out are written; state from the general path, from {@code rnnSetPreviousState}, or already returned by
 * {@code rnnGetPreviousState} is copied first, so nobody ever sees a state array change.
 *
 * <p>Double-buffered: a step never writes the arrays of the state it starts from, but a spare pair it owns, so
 * the state before the step stays intact for the layer to go back to when the network's step fails later
 * (see {@code TimeStepJournal}). The spare is filled by a copy of a few kilobytes, not an allocation.
 */
public final class StepState {
    private final Map<String, INDArray> owned = new LinkedHashMap<>();
    /** Arrays this object created and never handed out, to be written by the next step; the last state's. */
    private final Map<String, INDArray> spare = new HashMap<>();
    private final Map<String, FloatPointer> pointers = new HashMap<>();
    private boolean shared;
    /** What {@link #arrays} returns until the next change of an entry (rnnTimeStep asks for it every step). */
    private Map<String, INDArray> view = Collections.emptyMap();

    /**
     * Makes the entries of {@code shapes} private and current, starting from {@code current} (the layer's
     * state, null for none); absent entries start at zero. Returns false, changing nothing, when an entry
     * has another shape: the general path then reports the mismatch.
     */
    boolean adopt(Map<String, INDArray> current, Map<String, long[]> shapes) {
        for (Map.Entry<String, long[]> e : shapes.entrySet()) {
            INDArray given = current == null ? null : current.get(e.getKey());
            if (given != null && !Arrays.equals(given.shape(), e.getValue())) {
                return false;
            }
        }
        boolean changed = false;
        for (Map.Entry<String, long[]> e : shapes.entrySet()) {
            String key = e.getKey();
            INDArray given = current == null ? null : current.get(key);
            INDArray mine;
            if (given != null && given == owned.get(key) && !shared) {
                // Our own last state, seen by nobody else: the next step goes into the spare, which becomes
                // current, and the last state becomes the spare once the step after has moved past it.
                mine = spare.get(key);
                if (mine == null) {
                    mine = given.dup('c');
                } else {
                    Pointer.memcpy(HostArrays.pointer(mine, "state '" + key + "'"), pointers.get(key),
                            given.length() * Float.BYTES);
                }
                spare.put(key, given);
            } else {
                // Someone else's arrays (or ours, handed out): never written, and no spare of ours can be
                // trusted to be unseen any more.
                mine = given == null ? Nd4j.zeros(DataType.FLOAT, e.getValue())
                        : given.castTo(DataType.FLOAT).dup('c');
                spare.remove(key);
            }
            owned.put(key, mine);
            changed = true;
            pointers.put(key, HostArrays.pointer(mine, "state '" + key + "'"));
        }
        boolean removed = owned.keySet().retainAll(shapes.keySet());
        pointers.keySet().retainAll(shapes.keySet());
        spare.keySet().retainAll(shapes.keySet());
        if (changed || removed) {
            view = Collections.unmodifiableMap(new LinkedHashMap<>(owned));
        }
        shared = false;
        return true;
    }

    /** The current state, for the layer to keep; it must {@link #share} before handing it to anyone else. */
    Map<String, INDArray> arrays() {
        return view;
    }

    /** The arrays are visible outside from now on (e.g. returned by {@code rnnGetPreviousState}). */
    void share() {
        shared = true;
    }

    FloatPointer pointer(String key) {
        FloatPointer p = pointers.get(key);
        if (p == null) {
            throw new IllegalStateException("No state entry '" + key + "'");
        }
        return p;
    }

    void read(String key, float[] to) {
        HostArrays.read(pointer(key), 0, to, 0, to.length);
    }

    void write(String key, float[] from) {
        HostArrays.write(from, 0, from.length, pointer(key), 0);
    }
}
