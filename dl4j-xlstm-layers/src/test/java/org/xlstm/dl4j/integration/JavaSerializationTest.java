package org.xlstm.dl4j.integration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Supplier;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.xlstm.dl4j.conf.XlstmLayerConfig;

/**
 * Java serialisation, as Spark uses it: the training masters broadcast the network configuration objects
 * (not their JSON) with the parameters, and closures may carry whole networks. The configurations must
 * arrive equal, a network must give the same outputs, parameters and updater state, and nothing of the layers'
 * runtime (the kernel chosen for this JVM, workspaces, native scratch) may travel: each executor picks its
 * own kernel backend when its copy first runs.
 *
 * <p>A ComputationGraph itself does not survive Java serialisation in DL4J 1.0.0-M2.1 (it arrives without
 * outputs), nor can a deserialised MultiLayerNetwork be trained (its listener list arrives null), with
 * DL4J's own LSTM as well; Spark sends neither, only configurations and parameters.
 */
class JavaSerializationTest {
    private static final int MINIBATCH = 2;
    private static final int TIME = 5;
    private static final int STEPS = 2;
    /** Runtime classes whose instances belong to one JVM; their names must not appear in a serialised stream. */
    private static final List<String> RUNTIME_CLASSES = List.of("org.xlstm.dl4j.kernel.", "org.xlstm.dl4j.runtime.step.",
            "org.xlstm.dl4j.runtime.XlstmRecurrentLayer", "org.xlstm.dl4j.runtime.TrainingForwardWorkspace",
            "org.xlstm.dl4j.runtime.ComputeWorkspace");

    @BeforeEach
    void setUp() {
        Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
        Nd4j.getRandom().setSeed(IntegrationSupport.SEED);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.xlstm.dl4j.integration.SerializationTest#layers")
    void configurationsSurviveJavaSerialisation(String name, Supplier<XlstmLayerConfig> layer)
            throws IOException, ClassNotFoundException {
        MultiLayerConfiguration mln = IntegrationSupport.mlnConf(layer.get(), new Adam(1e-2));
        MultiLayerConfiguration mlnBack = (MultiLayerConfiguration) roundTrip(mln, name);
        assertEquals(mln, mlnBack, name + ": MultiLayerConfiguration");
        assertEquals(mln.toJson(), mlnBack.toJson(), name + ": MultiLayerConfiguration JSON");
        ComputationGraphConfiguration graph = IntegrationSupport.graphConf(layer.get(), new Adam(1e-2));
        ComputationGraphConfiguration graphBack = (ComputationGraphConfiguration) roundTrip(graph, name);
        assertEquals(graph, graphBack, name + ": ComputationGraphConfiguration");
        assertEquals(graph.toJson(), graphBack.toJson(), name + ": ComputationGraphConfiguration JSON");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.xlstm.dl4j.integration.SerializationTest#layers")
    void trainedMultiLayerNetworkKeepsOutputsAndStateThroughJavaSerialisation(String name, Supplier<XlstmLayerConfig> layer)
            throws IOException, ClassNotFoundException {
        MultiLayerNetwork net = IntegrationSupport.mln(layer.get(), new Adam(1e-2));
        XlstmLayerConfig conf = (XlstmLayerConfig) net.getLayer(0).conf().getLayer();
        INDArray x = IntegrationSupport.input(MINIBATCH, conf.getNIn(), TIME);
        INDArray y = Nd4j.randn(DataType.DOUBLE, MINIBATCH, IntegrationSupport.LABEL_SIZE, TIME);
        for (int i = 0; i < STEPS; i++) {
            net.fit(x, y);
        }
        MultiLayerNetwork copy = (MultiLayerNetwork) roundTrip(net, name);
        assertEquals(net.output(x), copy.output(x), name + ": outputs");
        assertEquals(net.params(), copy.params(), name + ": parameters");
        assertEquals(net.getUpdater().getStateViewArray(), copy.getUpdater().getStateViewArray(), name + ": updater state");
    }

    /** Serialises and deserialises with plain Java serialisation, checking that no runtime class is in the stream. */
    private static Object roundTrip(Object value, String name) throws IOException, ClassNotFoundException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(value);
        }
        // class descriptors carry the class names in modified UTF-8, which equals ISO-8859-1 for ASCII names
        String stream = new String(bytes.toByteArray(), StandardCharsets.ISO_8859_1);
        for (String runtime : RUNTIME_CLASSES) {
            assertFalse(stream.contains(runtime), name + ": the serialised " + value.getClass().getSimpleName()
                    + " carries runtime state of " + runtime);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            return in.readObject();
        }
    }
}
