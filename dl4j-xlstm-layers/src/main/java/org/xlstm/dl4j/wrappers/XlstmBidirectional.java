package org.xlstm.dl4j.wrappers;

import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.layers.recurrent.Bidirectional;
import org.nd4j.linalg.learning.config.IUpdater;
import org.xlstm.dl4j.conf.XlstmLayerConfig;

/**
 * DL4J's {@link Bidirectional} for the xLSTM layers (the stock class rejects them): one copy of the layer reads
 * the sequence forwards, an independent copy reads it backwards, and their outputs are combined by the
 * {@link Bidirectional.Mode} (CONCAT doubles nOut). DL4J's bidirectional runtime is used as is. The reversal
 * covers the whole padded length; with a mask this is exact because padded steps leave these layers' state
 * unchanged.
 *
 * <p>DL4J does not apply the network's global settings to the layers inside a {@code Bidirectional}: set the
 * updater (and regularization or gradient normalization, if used) on the wrapped layer's builder. Training
 * without an updater there fails with a message saying so. The wrapper has no {@code rnnTimeStep} and no
 * truncated BPTT (DL4J's bidirectional runtime throws).
 */
public class XlstmBidirectional extends Bidirectional {

    private XlstmBidirectional() {
        // for JSON
    }

    /** CONCAT mode: output size 2·nOut. */
    public XlstmBidirectional(XlstmLayerConfig layer) {
        this(Mode.CONCAT, layer);
    }

    public XlstmBidirectional(Mode mode, XlstmLayerConfig layer) {
        setFwd(layer);
        setBwd(layer.clone());
        setMode(mode);
    }

    private XlstmLayerConfig forward() {
        return (XlstmLayerConfig) getFwd();
    }

    @Override
    public RNNFormat getRNNDataFormat() {
        return forward().getDataFormat();
    }

    @Override
    public long getNIn() {
        return forward().getNIn();
    }

    @Override
    public long getNOut() {
        return getMode() == Mode.CONCAT ? 2 * forward().getNOut() : forward().getNOut();
    }

    @Override
    public IUpdater getUpdaterByParam(String paramName) {
        IUpdater updater = super.getUpdaterByParam(paramName);
        if (updater == null) {
            throw new IllegalStateException("XlstmBidirectional wrapping " + forward().describe()
                    + ": the wrapped layer has no updater. DL4J does not pass the network's global settings into"
                    + " Bidirectional's inner layers: set .updater(...) (and regularization or gradient"
                    + " normalization, if used) on the wrapped layer's builder");
        }
        return updater;
    }
}
