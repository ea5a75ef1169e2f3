package org.xlstm.dl4j.earlystopping;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Map;
import java.util.function.Function;

import org.deeplearning4j.datasets.iterator.ExistingDataSetIterator;
import org.deeplearning4j.earlystopping.EarlyStoppingConfiguration;
import org.deeplearning4j.earlystopping.EarlyStoppingModelSaver;
import org.deeplearning4j.earlystopping.EarlyStoppingResult;
import org.deeplearning4j.earlystopping.saver.LocalFileGraphSaver;
import org.deeplearning4j.earlystopping.saver.LocalFileModelSaver;
import org.deeplearning4j.earlystopping.scorecalc.DataSetLossCalculator;
import org.deeplearning4j.earlystopping.termination.MaxEpochsTerminationCondition;
import org.deeplearning4j.earlystopping.termination.ScoreImprovementEpochTerminationCondition;
import org.deeplearning4j.earlystopping.trainer.EarlyStoppingGraphTrainer;
import org.deeplearning4j.earlystopping.trainer.EarlyStoppingTrainer;
import org.deeplearning4j.earlystopping.trainer.IEarlyStoppingTrainer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.LSTM;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.xlstm.dl4j.conf.MLSTMLayer;
import org.xlstm.dl4j.conf.SLSTMLayer;

/**
 * An existing DL4J recurrent configuration (LSTM -> LSTM -> RnnOutputLayer) converted to xLSTM by replacing
 * only the two {@code LSTM} builders (first an {@link MLSTMLayer}, then an {@link SLSTMLayer}), trained with
 * DL4J's early stopping ({@link EarlyStoppingTrainer} for the MultiLayerNetwork form,
 * {@link EarlyStoppingGraphTrainer} for the ComputationGraph form) on a real data set: next-hour temperature
 * from the last {@value #WINDOW} hours of the Seattle hourly climate normals (see {@link HourlyWeatherWindows}).
 *
 * <p>Early stopping scores the held-out validation hours after every epoch ({@link DataSetLossCalculator}: the
 * network's MSE loss averaged over windows; DL4J sums it over the {@value #WINDOW} steps of a window), stops after {@value #MAX_EPOCHS} epochs or {@value #PATIENCE} epochs without
 * improvement, and saves each new best model both in memory and to a file in a JUnit temporary directory
 * ({@link TeeModelSaver}). Checked: the model restored from the file gives the same outputs as the result's best
 * model, its validation score is the one recorded for the best epoch, and on the test hours (after the
 * validation hours) the best xLSTM model forecasts better than "next hour = this hour" and than the untrained
 * network. The stock LSTM network is trained the same way and its scores are printed beside (not asserted).
 */
class EarlyStoppingForecastTest {
    static final int WINDOW = 24;
    static final int TRAIN_STRIDE = 8;
    static final int BATCH = 32;
    static final int HIDDEN = 16;
    static final int MAX_EPOCHS = 5;
    static final int PATIENCE = 2;
    static final double LEARNING_RATE = 1e-2;
    static final long SEED = Long.getLong("es.seed", 42L);

    static HourlyWeatherWindows data;

    /** Builds the recurrent layer at {@code index} (0 or 1) of the stack: the only part a conversion changes. */
    @FunctionalInterface
    interface RecurrentLayerFactory {
        Layer create(int index, long nIn, long nOut);
    }

    /** The existing configuration's recurrent layers: DL4J's LSTM. */
    static final RecurrentLayerFactory STOCK_LSTM =
            (index, nIn, nOut) -> new LSTM.Builder().nIn(nIn).nOut(nOut).activation(Activation.TANH).build();

    /** The conversion: the same sizes, an mLSTM layer first and an sLSTM layer second. */
    static final RecurrentLayerFactory XLSTM = (index, nIn, nOut) -> index == 0
            ? new MLSTMLayer.Builder().nIn(nIn).nOut(nOut).build()
            : new SLSTMLayer.Builder().nIn(nIn).nOut(nOut).build();

    /** The MultiLayerNetwork configuration, with its recurrent layers taken from {@code recurrent}. */
    static MultiLayerConfiguration listConfiguration(RecurrentLayerFactory recurrent) {
        return new NeuralNetConfiguration.Builder()
                .seed(SEED)
                .updater(new Adam(LEARNING_RATE))
                .weightInit(WeightInit.XAVIER)
                .list()
                .layer(recurrent.create(0, HourlyWeatherWindows.FEATURES, HIDDEN))
                .layer(recurrent.create(1, HIDDEN, HIDDEN))
                .layer(new RnnOutputLayer.Builder(LossFunctions.LossFunction.MSE)
                        .activation(Activation.IDENTITY).nIn(HIDDEN).nOut(1).build())
                .setInputType(InputType.recurrent(HourlyWeatherWindows.FEATURES))
                .build();
    }

    /** The same network as a ComputationGraph configuration, recurrent layers from {@code recurrent}. */
    static ComputationGraphConfiguration graphConfiguration(RecurrentLayerFactory recurrent) {
        return new NeuralNetConfiguration.Builder()
                .seed(SEED)
                .updater(new Adam(LEARNING_RATE))
                .weightInit(WeightInit.XAVIER)
                .graphBuilder()
                .addInputs("weather")
                .setInputTypes(InputType.recurrent(HourlyWeatherWindows.FEATURES))
                .addLayer("recurrent0", recurrent.create(0, HourlyWeatherWindows.FEATURES, HIDDEN), "weather")
                .addLayer("recurrent1", recurrent.create(1, HIDDEN, HIDDEN), "recurrent0")
                .addLayer("forecast", new RnnOutputLayer.Builder(LossFunctions.LossFunction.MSE)
                        .activation(Activation.IDENTITY).nIn(HIDDEN).nOut(1).build(), "recurrent1")
                .setOutputs("forecast")
                .build();
    }

    @BeforeAll
    static void loadData() {
        data = HourlyWeatherWindows.load(WINDOW, TRAIN_STRIDE, BATCH, 0.7, 0.15, SEED);
        double persistence = HourlyWeatherWindows.mse(HourlyWeatherWindows.persistence(data.test), data.test);
        System.out.printf("hourly weather: %d training batches, %d validation and %d test windows of %d hours;"
                + " persistence forecast on test: RMSE %.3f °C%n", data.trainBatches.size(),
                data.validation.numExamples(), data.test.numExamples(), WINDOW, data.rmseCelsius(persistence));
    }

    @Test
    void multiLayerNetworkWithEarlyStoppingTrainer(@TempDir Path dir) throws IOException {
        MultiLayerConfiguration stock = listConfiguration(STOCK_LSTM);
        MultiLayerConfiguration converted = listConfiguration(XLSTM);
        assertInstanceOf(LSTM.class, stock.getConf(0).getLayer());
        assertInstanceOf(MLSTMLayer.class, converted.getConf(0).getLayer());
        assertInstanceOf(SLSTMLayer.class, converted.getConf(1).getLayer());
        assertEquals(stock.getConf(2).getLayer(), converted.getConf(2).getLayer(), "output layer unchanged");

        MultiLayerNetwork xlstm = new MultiLayerNetwork(converted);
        xlstm.init();
        MultiLayerNetwork lstm = new MultiLayerNetwork(stock);
        lstm.init();
        Function<MultiLayerNetwork, INDArray> forecast = net -> net.output(data.test.getFeatures(), false);

        Run<MultiLayerNetwork> x = train("xLSTM MLN", xlstm, new LocalFileModelSaver(dir("xlstm", dir)),
                (conf, train) -> new EarlyStoppingTrainer(conf, xlstm, train), forecast);
        Run<MultiLayerNetwork> s = train("LSTM  MLN", lstm, new LocalFileModelSaver(dir("lstm", dir)),
                (conf, train) -> new EarlyStoppingTrainer(conf, lstm, train), forecast);
        assertTrue(Files.isRegularFile(dir.resolve("xlstm").resolve("bestModel.bin")), "best model file written");

        MultiLayerNetwork restored = x.saver.file().getBestModel();
        assertInstanceOf(MLSTMLayer.class, restored.getLayerWiseConfigurations().getConf(0).getLayer());
        assertInstanceOf(SLSTMLayer.class, restored.getLayerWiseConfigurations().getConf(1).getLayer());
        report(x, s);
        checkRun(x, restored, forecast);
    }

    @Test
    void computationGraphWithEarlyStoppingGraphTrainer(@TempDir Path dir) throws IOException {
        ComputationGraphConfiguration stock = graphConfiguration(STOCK_LSTM);
        ComputationGraphConfiguration converted = graphConfiguration(XLSTM);
        assertEquals(stock.getVertices().get("forecast"), converted.getVertices().get("forecast"),
                "output layer unchanged");
        assertEquals(stock.getVertexInputs(), converted.getVertexInputs(), "graph structure unchanged");

        ComputationGraph xlstm = new ComputationGraph(converted);
        xlstm.init();
        ComputationGraph lstm = new ComputationGraph(stock);
        lstm.init();
        Function<ComputationGraph, INDArray> forecast = net -> net.outputSingle(false, data.test.getFeatures());

        Run<ComputationGraph> x = train("xLSTM CG ", xlstm, new LocalFileGraphSaver(dir("xlstm", dir)),
                (conf, train) -> new EarlyStoppingGraphTrainer(conf, xlstm, train), forecast);
        Run<ComputationGraph> s = train("LSTM  CG ", lstm, new LocalFileGraphSaver(dir("lstm", dir)),
                (conf, train) -> new EarlyStoppingGraphTrainer(conf, lstm, train), forecast);
        assertTrue(Files.isRegularFile(dir.resolve("xlstm").resolve("bestGraph.bin")), "best model file written");

        ComputationGraph restored = x.saver.file().getBestModel();
        assertInstanceOf(MLSTMLayer.class, restored.getLayer("recurrent0").conf().getLayer());
        assertInstanceOf(SLSTMLayer.class, restored.getLayer("recurrent1").conf().getLayer());
        report(x, s);
        checkRun(x, restored, forecast);
    }

    private static String dir(String name, Path parent) {
        return parent.resolve(name).toString();
    }

    /** Creates the trainer from the configuration and the training iterator. */
    @FunctionalInterface
    interface TrainerFactory<T extends Model> {
        IEarlyStoppingTrainer<T> create(EarlyStoppingConfiguration<T> conf, DataSetIterator train);
    }

    /** One early-stopping run and what is measured around it. */
    static final class Run<T extends Model> {
        String name;
        TeeModelSaver<T> saver;
        EarlyStoppingResult<T> result;
        T trained;
        double untrainedTestMse;
        double bestTestMse;
        double seconds;
    }

    private static <T extends Model> Run<T> train(String name, T net, EarlyStoppingModelSaver<T> fileSaver,
            TrainerFactory<T> trainer, Function<T, INDArray> forecast) {
        Run<T> run = new Run<>();
        run.name = name;
        run.trained = net;
        run.untrainedTestMse = HourlyWeatherWindows.mse(forecast.apply(net), data.test);
        run.saver = new TeeModelSaver<>(fileSaver);
        EarlyStoppingConfiguration<T> conf = new EarlyStoppingConfiguration.Builder<T>()
                .epochTerminationConditions(new MaxEpochsTerminationCondition(MAX_EPOCHS),
                        new ScoreImprovementEpochTerminationCondition(PATIENCE))
                .scoreCalculator(new DataSetLossCalculator(validationIterator(), true))
                .evaluateEveryNEpochs(1)
                .modelSaver(run.saver)
                .build();
        long start = System.nanoTime();
        run.result = trainer.create(conf, new ExistingDataSetIterator(data.trainBatches)).fit();
        run.seconds = (System.nanoTime() - start) / 1e9;
        assertNotNull(run.result.getBestModel(), name + ": best model");
        run.bestTestMse = HourlyWeatherWindows.mse(forecast.apply(run.result.getBestModel()), data.test);
        return run;
    }

    private static DataSetIterator validationIterator() {
        return new ExistingDataSetIterator(Collections.singletonList(data.validation));
    }

    private static <T extends Model> void checkRun(Run<T> run, T restored, Function<T, INDArray> forecast)
            throws IOException {
        EarlyStoppingResult<T> result = run.result;
        assertEquals(EarlyStoppingResult.TerminationReason.EpochTerminationCondition, result.getTerminationReason(),
                run.name + ": " + result.getTerminationDetails());
        assertTrue(result.getTotalEpochs() >= 1 && result.getTotalEpochs() <= MAX_EPOCHS,
                run.name + ": epochs " + result.getTotalEpochs());

        // getBestModelScore() is 0.0 in DL4J M2.1: the best score is the one recorded for the best epoch.
        Map<Integer, Double> scores = result.getScoreVsEpoch();
        int bestEpoch = result.getBestModelEpoch();
        double bestScore = scores.get(bestEpoch);
        assertEquals(scores.values().stream().mapToDouble(Double::doubleValue).min().getAsDouble(), bestScore,
                run.name + ": best epoch has the lowest validation score " + scores);
        assertSame(run.saver.memory().getBestModel(), result.getBestModel(), "result holds the in-memory best");
        assertTrue(run.saver.bestSaves() >= 1);

        // The file copy, restored with ModelSerializer, is the result's best model.
        T best = result.getBestModel();
        assertEquals(best.params(), restored.params(), run.name + ": restored parameters");
        INDArray expected = forecast.apply(best);
        INDArray actual = forecast.apply(restored);
        assertTrue(expected.equalsWithEps(actual, 1e-6), run.name + ": restored model gives the same outputs");
        double restoredScore = new DataSetLossCalculator(validationIterator(), true).calculateScore(restored);
        assertEquals(bestScore, restoredScore, 1e-6 * Math.abs(bestScore),
                run.name + ": restored model's validation score equals the recorded best score");

        // When training went on past the best epoch, the trained network is not the best one any more.
        if (bestEpoch < result.getTotalEpochs() - 1) {
            assertFalse(best.params().equalsWithEps(run.trained.params(), 1e-6),
                    run.name + ": the best model is a saved copy, not the last state");
        }

        // Forecasting skill on the test hours, after the validation hours.
        double persistence = HourlyWeatherWindows.mse(HourlyWeatherWindows.persistence(data.test), data.test);
        assertTrue(run.bestTestMse < run.untrainedTestMse, run.name + ": trained " + run.bestTestMse
                + " vs untrained " + run.untrainedTestMse);
        assertTrue(run.bestTestMse < persistence, run.name + ": test MSE " + run.bestTestMse
                + " vs persistence (next hour = this hour) " + persistence);
    }

    private static void report(Run<?>... runs) {
        double persistence = HourlyWeatherWindows.mse(HourlyWeatherWindows.persistence(data.test), data.test);
        System.out.printf("%-10s %6s %6s %10s %12s %12s %10s %7s%n", "model", "epochs", "best", "val score",
                "test RMSE °C", "untrained °C", "params", "seconds");
        for (Run<?> run : runs) {
            EarlyStoppingResult<?> r = run.result;
            System.out.printf("%-10s %6d %6d %10.5f %12.3f %12.3f %10d %7.1f%n", run.name, r.getTotalEpochs(),
                    r.getBestModelEpoch(), r.getScoreVsEpoch().get(r.getBestModelEpoch()),
                    data.rmseCelsius(run.bestTestMse), data.rmseCelsius(run.untrainedTestMse),
                    run.trained.numParams(), run.seconds);
            System.out.printf("%-10s validation score by epoch %s%n", run.name, r.getScoreVsEpoch());
        }
        System.out.printf("%-10s %6s %6s %10s %12.3f%n", "next=now", "", "", "", data.rmseCelsius(persistence));
    }
}
