package org.xlstm.dl4j.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.nio.file.Paths;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.xlstm.dl4j.imports.NpyIO;
import org.xlstm.dl4j.imports.SafetensorsFile;
import org.xlstm.dl4j.imports.SafetensorsReader;
import org.xlstm.dl4j.imports.XlstmStackConfig;
import org.xlstm.dl4j.model.OfficialModelRunner;

/** One case folder of the official conformance vectors, and the tolerance rule of its README. */
public final class ConformanceCase {
    public final String name;
    public final Path dir;

    public ConformanceCase(String name) {
        this.name = name;
        try {
            this.dir = Paths.get(ConformanceCase.class.getResource("/conformance/" + name + "/config.json").toURI())
                    .getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    public static Path cellsDir() {
        return new ConformanceCase("mlstm_only").dir.resolveSibling("cells");
    }

    public XlstmStackConfig stackConfig() {
        return XlstmStackConfig.fromJson(dir.resolve("config.json"));
    }

    public INDArray npy(String file) {
        return NpyIO.read(dir.resolve(file));
    }

    public SafetensorsFile safetensors(String file) {
        return SafetensorsReader.open(dir.resolve(file));
    }

    /** The block stack of this case as a DL4J network with the case's weights loaded. */
    public OfficialModelRunner stackRunner(DataType type, String weightsFile) {
        try (SafetensorsFile weights = safetensors(weightsFile)) {
            return OfficialModelRunner.forStack(stackConfig(), weights, type);
        }
    }

    /** The README's rule: |ours - ref| <= tol * max(1, max|ref|), 1e-5 for float64 and 2e-3 for float32. */
    public static void assertClose(String what, INDArray reference, INDArray ours, DataType type) {
        assertArrayEquals(reference.shape(), ours.shape(), what + ": shape");
        double tolerance = type == DataType.DOUBLE ? 1e-5 : 2e-3;
        INDArray ref = reference.castTo(DataType.DOUBLE);
        double scale = Math.max(1.0, ref.amaxNumber().doubleValue());
        double error = ours.castTo(DataType.DOUBLE).sub(ref).amaxNumber().doubleValue();
        assertTrue(error <= tolerance * scale, what + ": max |ours - reference| = " + error + " exceeds "
                + tolerance + " * " + scale);
    }
}
