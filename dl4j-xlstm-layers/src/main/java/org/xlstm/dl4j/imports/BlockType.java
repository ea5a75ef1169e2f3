package org.xlstm.dl4j.imports;

/** The kind of block at one position of an xLSTM block stack. */
public enum BlockType {
    MLSTM,
    SLSTM
}
