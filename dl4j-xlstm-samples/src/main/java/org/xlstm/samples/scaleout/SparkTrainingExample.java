package org.xlstm.samples.scaleout;

import java.io.File;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Function;

import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.deeplearning4j.spark.impl.multilayer.SparkDl4jMultiLayer;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.nd4j.linalg.dataset.DataSet;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Trains an xLSTM network for {@link WaveTask} on Spark with parameter averaging, and saves it from the
 * driver. Run it with {@code spark-submit --class org.xlstm.samples.scaleout.SparkTrainingExample xlstm.jar}
 * (see {@code docs/SCALE-OUT.md}); {@code --master local[2]} runs it without a cluster.
 */
@Command(name = "spark-training", mixinStandardHelpOptions = true,
        description = "Trains an xLSTM network on Spark (parameter averaging) and saves it with ModelSerializer.")
public final class SparkTrainingExample implements Callable<Integer> {

    enum Network { MULTILAYER, GRAPH }

    @Option(names = "--master", description = "Spark master URL; leave out under spark-submit, which sets it")
    private String master;

    @Option(names = "--network", defaultValue = "MULTILAYER",
            description = "MULTILAYER (SparkDl4jMultiLayer) or GRAPH (SparkComputationGraph) (default: ${DEFAULT-VALUE})")
    private Network network;

    @Option(names = "--epochs", defaultValue = "4", description = "passes over the training data (default: ${DEFAULT-VALUE})")
    private int epochs;

    @Option(names = "--minibatches", defaultValue = "48",
            description = "minibatches of " + SparkWaveTraining.MINIBATCH + " generated sequences to train on when"
                    + " --train-data is not given (default: ${DEFAULT-VALUE})")
    private int minibatches;

    @Option(names = "--train-data", description = "directory (file:, hdfs:, s3a: ...) of DataSet minibatch files to"
            + " train on, as --export-data writes them; generated on the driver when left out")
    private String trainData;

    @Option(names = "--export-data", description = "write the generated training minibatches to this directory and stop")
    private String exportData;

    @Option(names = "--work-dir", description = "directory every executor can read where the training master writes"
            + " in-memory data as minibatch files (default: a folder under java.io.tmpdir, fine in local mode only)")
    private String workDir;

    @Option(names = "--model", defaultValue = "xlstm-spark-model.zip",
            description = "where the driver saves the trained network (default: ${DEFAULT-VALUE})")
    private String model;

    @Option(names = "--seed", defaultValue = "7", description = "random seed (default: ${DEFAULT-VALUE})")
    private long seed;

    public static void main(String[] args) {
        System.exit(new CommandLine(new SparkTrainingExample()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        SparkConf conf = new SparkConf().setAppName("xlstm-spark-training");
        if (master != null) {
            conf.setMaster(master);
        }
        try (JavaSparkContext sc = new JavaSparkContext(conf)) {
            List<DataSet> generated = WaveTask.minibatches(minibatches, SparkWaveTraining.MINIBATCH, seed);
            if (exportData != null) {
                SparkWaveTraining.exportMinibatches(generated, exportData, sc.hadoopConfiguration());
                System.out.printf("wrote %d minibatch files to %s%n", generated.size(), exportData);
                return 0;
            }
            DataSet heldOut = DataSet.merge(WaveTask.minibatches(8, SparkWaveTraining.MINIBATCH, seed + 1));
            String exportDirectory = workDir != null ? workDir
                    : new File(System.getProperty("java.io.tmpdir"), "xlstm-spark-export").toURI().toString();
            ParameterAveragingTrainingMaster master = SparkWaveTraining.trainingMaster(exportDirectory, 2, seed);
            JavaRDD<DataSet> data = trainData == null ? sc.parallelize(generated)
                    : SparkWaveTraining.readMinibatches(sc, trainData);
            Model trained;
            if (network == Network.MULTILAYER) {
                SparkDl4jMultiLayer spark = new SparkDl4jMultiLayer(sc, WaveNetworks.multiLayer(seed), master);
                trained = train(spark.getNetwork(), spark::fit, data, heldOut);
            } else {
                SparkComputationGraph spark = new SparkComputationGraph(sc, WaveNetworks.graph(seed), master);
                trained = train(spark.getNetwork(), spark::fit, data, heldOut);
            }
            SparkWaveTraining.saveModel(trained, model, sc.hadoopConfiguration());
            System.out.println("saved the trained network to " + model);
        }
        return 0;
    }

    /** Fits on {@code data} epoch by epoch, reporting the held-out error. */
    private Model train(Model net, Function<JavaRDD<DataSet>, Model> fit, JavaRDD<DataSet> data, DataSet heldOut) {
        report(0, WaveNetworks.score(net, heldOut));
        for (int epoch = 1; epoch <= epochs; epoch++) {
            report(epoch, WaveNetworks.score(fit.apply(data), heldOut));
        }
        return net;
    }

    private static void report(int epoch, double heldOutMse) {
        System.out.printf("epoch %d  held-out MSE %.5f%n", epoch, heldOutMse);
    }
}
