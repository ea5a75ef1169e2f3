package org.xlstm.dl4j.imports;

/**
 * A weight or array file that cannot be read as what it claims to be: malformed header, unknown
 * dtype, offsets outside the data, a byte length that does not match the shape, a truncated file.
 * Unchecked because callers cannot recover from a broken checkpoint beyond reporting it.
 */
public class WeightFileException extends RuntimeException {

    public WeightFileException(String message) {
        super(message);
    }

    public WeightFileException(String message, Throwable cause) {
        super(message, cause);
    }
}
