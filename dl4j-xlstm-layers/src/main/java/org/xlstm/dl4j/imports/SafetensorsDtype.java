package org.xlstm.dl4j.imports;

import java.nio.ByteBuffer;

/** The safetensors element types this library reads, with their size and little-endian decoding. */
public enum SafetensorsDtype {
    F64(8, true),
    F32(4, true),
    F16(2, true),
    BF16(2, true),
    I64(8, false),
    I32(4, false);

    private final int byteSize;
    private final boolean floatingPoint;

    SafetensorsDtype(int byteSize, boolean floatingPoint) {
        this.byteSize = byteSize;
        this.floatingPoint = floatingPoint;
    }

    public int byteSize() {
        return byteSize;
    }

    public boolean isFloatingPoint() {
        return floatingPoint;
    }

    /** The dtype named {@code name} in a header, or null when this library does not know it. */
    static SafetensorsDtype fromHeaderName(String name) {
        for (SafetensorsDtype d : values()) {
            if (d.name().equals(name)) {
                return d;
            }
        }
        return null;
    }

    /** Reads one element at the buffer's position (which must be little-endian) as a double. */
    double readDouble(ByteBuffer buf) {
        switch (this) {
            case F64:
                return buf.getDouble();
            case F32:
                return buf.getFloat();
            case F16:
                return halfToFloat(buf.getShort());
            case BF16:
                // bfloat16 is the upper half of an IEEE float32, so widening is a shift.
                return Float.intBitsToFloat((buf.getShort() & 0xFFFF) << 16);
            case I64:
                return buf.getLong();
            case I32:
                return buf.getInt();
            default:
                throw new IllegalStateException("unhandled dtype " + this);
        }
    }

    /** Reads one integer element at the buffer's position (little-endian). */
    long readLong(ByteBuffer buf) {
        switch (this) {
            case I64:
                return buf.getLong();
            case I32:
                return buf.getInt();
            default:
                throw new IllegalStateException(this + " is not an integer dtype");
        }
    }

    /** IEEE binary16 to float; Float.float16ToFloat only exists from Java 20 and we target 11. */
    static float halfToFloat(short bits) {
        int sign = (bits & 0x8000) << 16;
        int exponent = (bits >>> 10) & 0x1F;
        int mantissa = bits & 0x3FF;
        if (exponent == 0) {
            float subnormal = mantissa * 0x1p-24f;
            return sign == 0 ? subnormal : -subnormal;
        }
        if (exponent == 0x1F) {
            return Float.intBitsToFloat(sign | 0x7F800000 | (mantissa << 13));
        }
        return Float.intBitsToFloat(sign | ((exponent - 15 + 127) << 23) | (mantissa << 13));
    }
}
