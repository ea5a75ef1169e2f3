package org.xlstm.dl4j.imports.large;

/** The model would not fit this JVM's memory limits; raised before anything is allocated. */
public class ModelTooLargeException extends RuntimeException {

    public ModelTooLargeException(String message) {
        super(message);
    }
}
