package org.xlstm.samples;

import org.xlstm.samples.bench.BenchmarkCommand;
import org.xlstm.samples.bench.BenchmarkLargeCommand;
import org.xlstm.samples.bench.MemoryCommand;
import org.xlstm.samples.bench.OmpSetup;
import org.xlstm.samples.formal.FormalLanguagesCommand;
import org.xlstm.samples.generate.GenerateCommand;
import org.xlstm.samples.recall.RecallCommand;
import org.xlstm.samples.scaleout.ScaleOutCommand;
import org.xlstm.samples.swaplstm.SwapLstmCommand;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code xlstm} command line: runs official xLSTM checkpoints and the quick-start demo. */
@Command(name = "xlstm", mixinStandardHelpOptions = true, version = "xlstm 0.1.0",
        description = "xLSTM (mLSTM/sLSTM) for Deeplearning4j.",
        subcommands = {
                DemoCommand.class,
                SwapLstmCommand.class,
                FormalLanguagesCommand.class,
                RecallCommand.class,
                GenerateCommand.class,
                ScaleOutCommand.class,
                ImportRunCommand.class,
                ImportRunLargeCommand.class,
                GenerateLargeCommand.class,
                BenchmarkCommand.class,
                BenchmarkLargeCommand.class,
                MemoryCommand.class,
                SoakCommand.class,
        })
public final class XlstmCli implements Runnable {

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        // Before any ND4J class loads: passive OpenMP waiting unless the user set OMP_WAIT_POLICY.
        OmpSetup.apply();
        System.exit(commandLine().execute(args));
    }

    /** The command line with its one-line error reporting, as {@link #main} runs it. */
    public static CommandLine commandLine() {
        return new CommandLine(new XlstmCli()).setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println("error: " + oneLine(e));
            return 1;
        });
    }

    private static String oneLine(Throwable e) {
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return message.replaceAll("\\s*\\R\\s*", " ");
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required (see --help)");
    }
}
