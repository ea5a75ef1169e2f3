package org.xlstm.dl4j.large;

import java.util.Arrays;

import org.xlstm.dl4j.imports.ParameterMapping;

/**
 * One tensor of an official xLSTM-Large checkpoint: its name and shape there, the index of the network layer
 * that holds it, and how it maps onto that layer's parameter.
 */
public final class OfficialTensor {
    private final int layer;
    private final long[] officialShape;
    private final ParameterMapping mapping;

    OfficialTensor(int layer, long[] officialShape, ParameterMapping mapping) {
        this.layer = layer;
        this.officialShape = officialShape.clone();
        this.mapping = mapping;
    }

    public String name() {
        return mapping.officialName();
    }

    public int layer() {
        return layer;
    }

    public long[] officialShape() {
        return officialShape.clone();
    }

    public long elementCount() {
        return Arrays.stream(officialShape).reduce(1, (a, b) -> a * b);
    }

    public ParameterMapping mapping() {
        return mapping;
    }
}
