/** A failure the user can fix (a missing file, a root outside the dump, an unknown option): one line, exit code 2. */
export class CliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliError';
  }
}
