package org.xlstm.samples.scaleout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.deeplearning4j.spark.impl.multilayer.SparkDl4jMultiLayer;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.dataset.DataSet;

/**
 * Spark training of xLSTM networks with parameter averaging, in local mode with two executor threads on the
 * loopback interface: the configurations and parameters go through Spark's broadcast and task
 * serialisation, the held-out error falls, and the network the driver saves reloads with the same outputs.
 * The graph trains from minibatch files, the way a cluster job reads its data from HDFS or S3.
 * The Spark context, its scratch directories and the exported data all live in a temporary directory
 * removed afterwards.
 */
@ExtendWith(PrintDuration.class)
@Timeout(value = 10, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class SparkTrainingTest {
    private static final long SEED = 3;
    private static final int MINIBATCHES = 24;
    private static final int EPOCHS = 3;
    private static final int AVERAGING_FREQUENCY = 2;

    @TempDir
    static Path dir;
    private static JavaSparkContext sc;

    private final List<DataSet> train = WaveTask.minibatches(MINIBATCHES, SparkWaveTraining.MINIBATCH, SEED);
    private final DataSet heldOut = DataSet.merge(WaveTask.minibatches(8, SparkWaveTraining.MINIBATCH, SEED + 1));

    @BeforeAll
    static void startSpark() {
        long start = System.nanoTime();
        SparkConf conf = new SparkConf().setMaster("local[2]").setAppName("xlstm-spark-training-test")
                .set("spark.driver.host", "127.0.0.1").set("spark.driver.bindAddress", "127.0.0.1")
                .set("spark.ui.enabled", "false")
                .set("spark.local.dir", dir.resolve("spark-local").toString());
        sc = new JavaSparkContext(conf);
        System.out.printf("[scale-out] SparkContext local[2] started in %.1f s%n", (System.nanoTime() - start) / 1e9);
    }

    @AfterAll
    static void stopSpark() {
        if (sc != null) {
            sc.stop();
        }
    }

    @Test
    void multiLayerNetworkTrainsFromAnRdd() throws Exception {
        SparkDl4jMultiLayer spark = new SparkDl4jMultiLayer(sc, WaveNetworks.multiLayer(SEED),
                SparkWaveTraining.trainingMaster(uri("export-mln"), AVERAGING_FREQUENCY, SEED));
        double untrained = spark.getNetwork().score(heldOut);
        JavaRDD<DataSet> data = sc.parallelize(train, 2);
        for (int epoch = 0; epoch < EPOCHS; epoch++) {
            spark.fit(data);
        }
        MultiLayerNetwork trained = spark.getNetwork();
        assertLearnt("SparkDl4jMultiLayer", untrained, trained.score(heldOut));

        String saved = uri("mln.zip");
        SparkWaveTraining.saveModel(trained, saved, sc.hadoopConfiguration());
        MultiLayerNetwork restored = ModelSerializer.restoreMultiLayerNetwork(new File(dir.toFile(), "mln.zip"), true);
        assertEquals(trained.output(heldOut.getFeatures()), restored.output(heldOut.getFeatures()),
                "outputs of the network saved by the driver, reloaded");
    }

    @Test
    void computationGraphTrainsFromMinibatchFiles() throws Exception {
        String files = uri("minibatches");
        SparkWaveTraining.exportMinibatches(train, files, sc.hadoopConfiguration());
        JavaRDD<DataSet> data = SparkWaveTraining.readMinibatches(sc, files);
        assertEquals(MINIBATCHES, data.count(), "minibatches read back from the files");

        SparkComputationGraph spark = new SparkComputationGraph(sc, WaveNetworks.graph(SEED),
                SparkWaveTraining.trainingMaster(uri("export-graph"), AVERAGING_FREQUENCY, SEED));
        double untrained = spark.getNetwork().score(heldOut);
        for (int epoch = 0; epoch < EPOCHS; epoch++) {
            spark.fit(data);
        }
        ComputationGraph trained = spark.getNetwork();
        assertLearnt("SparkComputationGraph", untrained, trained.score(heldOut));

        String saved = uri("graph.zip");
        SparkWaveTraining.saveModel(trained, saved, sc.hadoopConfiguration());
        ComputationGraph restored = ModelSerializer.restoreComputationGraph(new File(dir.toFile(), "graph.zip"), true);
        assertEquals(trained.outputSingle(heldOut.getFeatures()), restored.outputSingle(heldOut.getFeatures()),
                "outputs of the network saved by the driver, reloaded");
    }

    /** The held-out error falls by at least 30% and ends below that of repeating the last reading. */
    private void assertLearnt(String what, double untrained, double trained) {
        double persistence = WaveTask.persistenceScore(heldOut);
        System.out.printf("[scale-out] %s held-out MSE: untrained %.4f, after %d epochs %.4f"
                + " (repeating the last reading: %.4f)%n", what, untrained, EPOCHS, trained, persistence);
        assertTrue(trained <= 0.7 * untrained, what + ": held-out MSE " + untrained + " -> " + trained
                + ", expected a fall of at least 30%");
        assertTrue(trained < persistence, what + ": held-out MSE " + trained
                + " not below repeating the last reading, " + persistence);
    }

    private static String uri(String name) {
        return dir.resolve(name).toUri().toString();
    }
}
