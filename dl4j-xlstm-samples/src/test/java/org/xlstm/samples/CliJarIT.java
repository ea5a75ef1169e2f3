package org.xlstm.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;

/** The packaged {@code target/xlstm.jar} run as a user runs it, on the language-model conformance case. */
class CliJarIT {

    @Test
    void importRunFromTheJar(@TempDir Path out) throws IOException, InterruptedException {
        Path jar = Paths.get("target", "xlstm.jar");
        assertTrue(Files.isRegularFile(jar), "missing " + jar.toAbsolutePath());
        List<String> command = new ArrayList<>(List.of(
                Paths.get(System.getProperty("java.home"), "bin", "java").toString(), "-jar", jar.toString()));
        command.addAll(Arrays.asList(Reference.importRunArgs("lm_mixed", "weights.safetensors", "float64", out)));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String log = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, process.waitFor(), log);
        Reference.assertMatches("lm_mixed", "weights.safetensors", out, DataType.DOUBLE);
    }
}
