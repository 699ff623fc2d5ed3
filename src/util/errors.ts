/**
 * Errors a user should see as one line, with the exit code the README documents.
 * Anything else that escapes to the CLI is a bug in leakscan and is reported as such.
 */

export const ExitCode = {
  ok: 0,
  leaksFound: 1,
  usage: 2,
  input: 2,
  /** An output that cannot be written (a bad --out, a full disk): the user's to fix, like bad input. */
  output: 2,
  target: 3,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export class LeakscanError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCodeValue,
  ) {
    super(message);
    this.name = 'LeakscanError';
  }
}

/** Bad input: a file or payload that is not what it should be. Exit code 2. */
export class InputError extends LeakscanError {
  constructor(message: string) {
    super(message, ExitCode.input);
    this.name = 'InputError';
  }
}

/** A file or directory leakscan must write cannot be written. Exit code 2. */
export class OutputError extends LeakscanError {
  constructor(message: string) {
    super(message, ExitCode.output);
    this.name = 'OutputError';
  }
}

/** The target could not be reached or read. Exit code 3. */
export class TargetError extends LeakscanError {
  constructor(message: string) {
    super(message, ExitCode.target);
    this.name = 'TargetError';
  }
}
