package dev.layerfs.cli;

import picocli.CommandLine;

/**
 * Runs a picocli command tree with one error policy for every launcher: a user error prints
 * one line naming what was wrong and exits 2; an unexpected failure prints one line and exits 1
 * (the stack trace only when LAYERFS_DEBUG is set).
 */
final class Launcher {

    private Launcher() {
    }

    static int run(Object command, String[] args) {
        CommandLine cli = new CommandLine(command);
        String prog = cli.getCommandName();
        cli.setExecutionExceptionHandler((e, line, parsed) -> {
            if (e instanceof UserError) {
                line.getErr().println(prog + ": " + e.getMessage());
                return 2;
            }
            line.getErr().println(prog + ": " + (e.getMessage() != null ? e.getMessage() : e.toString()));
            if (System.getenv("LAYERFS_DEBUG") != null) {
                e.printStackTrace(line.getErr());
            }
            return 1;
        });
        return cli.execute(args);
    }
}
