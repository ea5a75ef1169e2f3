package org.xlstm.samples.generate;

import java.util.Arrays;
import java.util.Random;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/** A text as character ids (its distinct characters, sorted) and random training windows of it. */
final class CharacterVocabulary {

    private final char[] characters;
    private final int[] ids;

    private CharacterVocabulary(char[] characters, int[] ids) {
        this.characters = characters;
        this.ids = ids;
    }

    static CharacterVocabulary of(String text) {
        char[] characters = text.chars().distinct().sorted().collect(StringBuilder::new, StringBuilder::appendCodePoint,
                StringBuilder::append).toString().toCharArray();
        int[] ids = new int[text.length()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = Arrays.binarySearch(characters, text.charAt(i));
        }
        return new CharacterVocabulary(characters, ids);
    }

    int size() {
        return characters.length;
    }

    int length() {
        return ids.length;
    }

    char character(int id) {
        return characters[id];
    }

    /**
     * Ids [1, 1, length] of a string (rank 3: a rank-2 input to {@code rnnTimeStep} would be read as one time
     * step); every character must occur in the text.
     */
    INDArray ids(String s) {
        INDArray out = Nd4j.create(DataType.FLOAT, 1, 1, s.length());
        for (int i = 0; i < s.length(); i++) {
            int id = Arrays.binarySearch(characters, s.charAt(i));
            if (id < 0) {
                throw new IllegalArgumentException("character '" + s.charAt(i) + "' of the prompt does not occur in the"
                        + " training text");
            }
            out.putScalar(0, 0, i, id);
        }
        return out;
    }

    /** {@code n} random windows: ids [n, length] and the next character of each step one-hot [n, size, length]. */
    DataSet batch(Random random, int n, int length) {
        if (length + 1 > ids.length) {
            throw new IllegalArgumentException("context " + length + " is longer than the text (" + ids.length + ")");
        }
        INDArray input = Nd4j.create(DataType.FLOAT, n, length);
        INDArray labels = Nd4j.create(DataType.FLOAT, n, size(), length);
        for (int i = 0; i < n; i++) {
            int start = random.nextInt(ids.length - length);
            for (int t = 0; t < length; t++) {
                input.putScalar(i, t, ids[start + t]);
                labels.putScalar(i, ids[start + t + 1], t, 1);
            }
        }
        return new DataSet(input, labels);
    }
}
