package org.xlstm.samples.swaplstm;

import java.util.List;
import java.util.Map;

import org.deeplearning4j.earlystopping.EarlyStoppingResult;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.ops.transforms.Transforms;

/** What one early-stopping run of a model produced: test errors in °C, epochs, timings and curves. */
final class ForecastRun {
    final String name;
    final long parameters;
    final int epochs;
    final int bestEpoch;
    final String stopReason;
    final double firstEpochSeconds;
    final double medianEpochSeconds;
    final double firstMinibatchSeconds;
    final double firstValidationSeconds;
    final double medianValidationSeconds;
    final Map<Integer, Double> validationLoss;
    final List<Double> trainingLoss;
    /** The best model's test forecasts in °C, [windows, stations]. */
    final INDArray forecast;
    final double rmse;
    final double mae;

    ForecastRun(String name, long parameters, EarlyStoppingResult<MultiLayerNetwork> result, EpochClock clock,
            INDArray normalisedForecast, DailyWeather weather, DataSet test, int window) {
        this.name = name;
        this.parameters = parameters;
        this.epochs = result.getTotalEpochs();
        this.bestEpoch = result.getBestModelEpoch() + 1;
        this.stopReason = stopReason(result.getTerminationDetails());
        this.firstEpochSeconds = clock.firstEpochSeconds();
        this.medianEpochSeconds = clock.medianEpochSeconds();
        this.firstMinibatchSeconds = clock.firstMinibatchSeconds();
        this.firstValidationSeconds = clock.firstValidationSeconds();
        this.medianValidationSeconds = clock.medianValidationSeconds();
        this.validationLoss = result.getScoreVsEpoch();
        this.trainingLoss = clock.trainingLoss();
        INDArray today = SwapLstmCommand.lastStep(test.getFeatures());
        this.forecast = weather.tomorrowCelsius(normalisedForecast, today);
        INDArray truth = weather.tomorrowCelsius(SwapLstmCommand.lastStep(test.getLabels()), today);
        this.rmse = rmse(forecast, truth);
        this.mae = mae(forecast, truth);
    }

    /** The termination condition that ended training, in a word or two. */
    private static String stopReason(String details) {
        if (details.startsWith("MaxEpochsTerminationCondition")) {
            return "max epochs";
        }
        return details.startsWith("ScoreImprovementEpochTerminationCondition") ? "patience" : details;
    }

    static double rmse(INDArray predicted, INDArray actual) {
        return Math.sqrt(predicted.squaredDistance(actual) / actual.length());
    }

    static double mae(INDArray predicted, INDArray actual) {
        return Transforms.abs(predicted.sub(actual)).sumNumber().doubleValue() / actual.length();
    }
}
