package org.xlstm.dl4j.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.WorkspaceMode;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.config.NoOp;
import org.xlstm.dl4j.imports.NpyIO;
import org.xlstm.dl4j.imports.OfficialLayouts;
import org.xlstm.dl4j.imports.OfficialWeightImporter;
import org.xlstm.dl4j.imports.ParameterMapping;
import org.xlstm.dl4j.imports.SafetensorsFile;
import org.xlstm.dl4j.imports.SafetensorsReader;
import org.xlstm.dl4j.imports.XlstmStackConfig;
import org.xlstm.dl4j.model.XlstmStack;

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
    public MultiLayerNetwork stackNetwork(DataType type, String weightsFile) {
        XlstmStackConfig config = stackConfig();
        NeuralNetConfiguration.ListBuilder list = new NeuralNetConfiguration.Builder().dataType(type)
                .updater(new NoOp()).trainingWorkspaceMode(WorkspaceMode.ENABLED)
                .inferenceWorkspaceMode(WorkspaceMode.ENABLED).list();
        MultiLayerNetwork net = new MultiLayerNetwork(XlstmStack.addTo(list, config, RNNFormat.NCW).build());
        net.init();
        try (SafetensorsFile weights = safetensors(weightsFile)) {
            boolean cuda = false;
            for (String n : weights.names()) {
                if (n.endsWith("_recurrent_kernel_")) {
                    cuda = OfficialLayouts.isCudaLayout(weights.shape(n), config.getSlstm().getNumHeads(),
                            config.getSlstm().getHeadSize());
                }
            }
            List<Map<String, INDArray>> tables = new ArrayList<>();
            for (Layer layer : net.getLayers()) {
                tables.add(layer.paramTable());
            }
            OfficialWeightImporter.load(weights, tables, mappings(cuda), java.util.Collections.emptySet());
        }
        return net;
    }

    public List<List<ParameterMapping>> mappings(boolean cudaLayout) {
        return XlstmStack.officialMappings(stackConfig(), "", cudaLayout);
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
