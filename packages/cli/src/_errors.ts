/** A failure the user can fix (a missing file, a root outside the dump, an unknown option): one line, exit code 2. */
export class CliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliError';
  }
}

/**
 * Thrown by a {@link CliIo}'s `stdout` when the reader has gone (a closed pipe: `ptdump ... | head`): the run stops
 * at once, writes nothing more and returns {@link EXIT_OUTPUT_CLOSED}.
 */
export class OutputClosed extends Error {
  constructor() {
    super('standard output was closed');
    this.name = 'OutputClosed';
  }
}

/**
 * Exit status when the output was closed before the listing ended: 128 + SIGPIPE (13), what a shell reports for a
 * program that a closed pipe ends (`seq 1e9 | head` under `set -o pipefail`), so that a script can tell a cut-off
 * listing from a whole one (and an `--audit` that did not finish from one that passed).
 */
export const EXIT_OUTPUT_CLOSED: number = 141;

/**
 * Exit status when the listing went through but looks like the tables of a wrong register value: a root yielded
 * diagnostics and no mapping, or nothing is mapped at all (a warning on stderr says which). Audit findings (1) take
 * precedence, as a listing with findings maps something.
 */
export const EXIT_IMPLAUSIBLE: number = 3;
