package org.xlstm.samples;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * A command's output folder, written all or nothing: files are written into a hidden staging folder inside it
 * and moved into place (each move atomic, within one file system) only by {@link #commit}; closing without a
 * commit removes the staging folder and any folder this instance created, so a command that fails leaves the
 * output folder as it found it. Opening it creates the staging folder, which proves the folder writable before
 * any work is done.
 */
final class OutputFolder implements AutoCloseable {

    private final Path folder;
    /** The outermost folder created by {@link #open}, removed again on rollback; null when it existed. */
    private final Path created;
    private final Path staging;
    private final List<String> staged = new ArrayList<>();
    private boolean committed;

    private OutputFolder(Path folder, Path created, Path staging) {
        this.folder = folder;
        this.created = created;
        this.staging = staging;
    }

    /** @param option the command-line option naming the folder, for messages */
    static OutputFolder open(String option, Path folder) {
        Path absolute = folder.toAbsolutePath().normalize();
        if (Files.exists(absolute) && !Files.isDirectory(absolute)) {
            throw new IllegalArgumentException(option + " " + folder + ": exists and is not a folder");
        }
        Path created = null;
        for (Path p = absolute; p != null && !Files.exists(p); p = p.getParent()) {
            created = p;
        }
        try {
            Files.createDirectories(absolute);
        } catch (IOException e) {
            throw new IllegalArgumentException(option + " " + folder + ": cannot create the folder: " + e, e);
        }
        try {
            return new OutputFolder(absolute, created, Files.createTempDirectory(absolute, ".staging-"));
        } catch (IOException e) {
            deleteTree(created);
            throw new IllegalArgumentException(option + " " + folder + ": not writable: " + e, e);
        }
    }

    /** Where to write the file {@code name}; it appears in the folder on {@link #commit}. */
    Path stage(String name) {
        staged.add(name);
        return staging.resolve(name);
    }

    /** Moves every staged file into the folder, replacing files of the same name. */
    void commit() {
        try {
            for (String name : staged) {
                Files.move(staging.resolve(name), folder.resolve(name), StandardCopyOption.REPLACE_EXISTING,
                        StandardCopyOption.ATOMIC_MOVE);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(folder + ": cannot move the outputs into place: " + e, e);
        }
        committed = true;
    }

    @Override
    public void close() {
        deleteTree(staging);
        if (!committed) {
            deleteTree(created);
        }
    }

    private static void deleteTree(Path root) {
        if (root == null || !Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : (Iterable<Path>) paths.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove " + root + ": " + e, e);
        }
    }
}
