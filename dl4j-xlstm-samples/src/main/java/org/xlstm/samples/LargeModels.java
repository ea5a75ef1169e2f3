package org.xlstm.samples;

import java.nio.file.Files;
import java.nio.file.Path;

import org.nd4j.linalg.api.buffer.DataType;

/** Argument checks shared by the xLSTM-Large subcommands. */
final class LargeModels {

    private LargeModels() {
    }

    static DataType dataType(String name) {
        switch (name) {
            case "float64":
                return DataType.DOUBLE;
            case "float32":
                return DataType.FLOAT;
            default:
                throw new IllegalArgumentException("--dtype must be float64 or float32, not '" + name + "'");
        }
    }

    static Path requireFile(String what, Path path) {
        if (!Files.isRegularFile(path)) {
            throw new IllegalArgumentException(what + " file not found: " + path);
        }
        return path;
    }
}
