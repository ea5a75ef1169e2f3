package org.xlstm.samples.scaleout;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.List;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.dataset.DataSet;

/**
 * What Spark training of an xLSTM network needs beyond DL4J's Spark classes: the parameter-averaging
 * training master, and data and models on any Hadoop file system (local, HDFS, S3 through s3a).
 */
public final class SparkWaveTraining {
    /** Examples per minibatch, in the exported files and on each worker. */
    public static final int MINIBATCH = 16;

    private SparkWaveTraining() {
    }

    /**
     * Parameter averaging: each worker fits {@code averagingFrequency} minibatches from the broadcast
     * parameters, then the driver averages parameters and updater states. {@code exportDirectory} is where
     * an in-memory RDD is written as minibatch files before training (a directory all executors can read).
     */
    public static ParameterAveragingTrainingMaster trainingMaster(String exportDirectory, int averagingFrequency,
            long seed) {
        return new ParameterAveragingTrainingMaster.Builder(MINIBATCH).batchSizePerWorker(MINIBATCH)
                .averagingFrequency(averagingFrequency).workerPrefetchNumBatches(0).saveUpdater(true).rngSeed(seed)
                .exportDirectory(exportDirectory).build();
    }

    /** Writes the minibatches as DataSet files {@code part-N.bin} under {@code directory} (any Hadoop URI). */
    public static void exportMinibatches(List<DataSet> minibatches, String directory, Configuration hadoop)
            throws IOException {
        Path dir = new Path(directory);
        FileSystem fs = dir.getFileSystem(hadoop);
        for (int i = 0; i < minibatches.size(); i++) {
            try (OutputStream out = fs.create(new Path(dir, "part-" + i + ".bin"), false)) {
                minibatches.get(i).save(out);
            }
        }
    }

    /**
     * The minibatch files under {@code directory} (any Hadoop URI) as an RDD of DataSets, read on the
     * executors. {@code SparkComputationGraph.fitPaths} fails with parameter averaging in DL4J 1.0.0-M2 (the
     * training master dereferences the absent SparkDl4jMultiLayer), so graphs train from this RDD instead.
     */
    public static JavaRDD<DataSet> readMinibatches(JavaSparkContext sc, String directory) {
        return sc.binaryFiles(directory).values().map(file -> {
            DataSet minibatch = new DataSet();
            try (DataInputStream in = file.open()) {
                minibatch.load(in);
            }
            return minibatch;
        });
    }

    /** Saves the network with {@link ModelSerializer}, updater included, to {@code uri} (any Hadoop URI). */
    public static void saveModel(Model net, String uri, Configuration hadoop) throws IOException {
        Path path = new Path(uri);
        try (OutputStream out = path.getFileSystem(hadoop).create(path, true)) {
            ModelSerializer.writeModel(net, out, true);
        }
    }
}
