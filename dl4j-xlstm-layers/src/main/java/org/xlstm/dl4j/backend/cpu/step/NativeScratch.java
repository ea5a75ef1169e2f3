package org.xlstm.dl4j.backend.cpu.step;

import org.bytedeco.javacpp.FloatPointer;
import org.xlstm.dl4j.backend.cpu.HostArrays;

/** A native float buffer for BLAS operands, kept between steps and grown when the minibatch grows. */
final class NativeScratch {
    private FloatPointer data;
    private long capacity;

    FloatPointer of(long length) {
        if (length > capacity) {
            if (data != null) {
                data.close();
            }
            data = new FloatPointer(length);
            capacity = length;
        }
        return data;
    }

    /** Copies heap rows in and returns the buffer. */
    FloatPointer load(float[] from, int length) {
        FloatPointer p = of(length);
        HostArrays.write(from, 0, length, p, 0);
        return p;
    }
}
