package org.xlstm.dl4j.kernel.portable;

import org.nd4j.linalg.api.buffer.DataType;

/** Which type the arithmetic runs in for a given input type. */
final class ComputeTypes {
    private ComputeTypes() {
    }

    /** Half types run in FLOAT: exp of the input gates overflows in half precision. */
    static DataType computeTypeFor(DataType input) {
        switch (input) {
            case DOUBLE:
            case FLOAT:
                return input;
            case HALF:
            case BFLOAT16:
                return DataType.FLOAT;
            default:
                throw new IllegalArgumentException(
                        "mLSTM inputs must be DOUBLE, FLOAT, HALF or BFLOAT16, got " + input);
        }
    }
}
