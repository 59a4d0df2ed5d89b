import { execFile } from 'node:child_process';

/** How a program run by `runNodeProgram` ended, with everything it printed. */
export interface ProgramResult {
  /** Exit code; null when it was killed by a signal. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options of `runNodeProgram`. */
export interface RunNodeProgramOptions {
  /** Working directory of the program. */
  readonly cwd: string;
  /** The program is killed with SIGKILL after this many ms. @default 20000 */
  readonly timeoutMs?: number;
  /** Variables added to this process's environment. */
  readonly env?: Readonly<Record<string, string>>;
}

/**
 * Runs `node <args>` with the current Node binary and resolves when it ends. Never
 * rejects, so a failing smoke test can show the exit code, stdout and stderr together.
 *
 * @example
 * const { code, stdout, stderr } = await runNodeProgram(['dist/main.js'], { cwd: exampleDir });
 */
export function runNodeProgram(args: readonly string[], options: RunNodeProgramOptions): Promise<ProgramResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      args,
      { cwd: options.cwd, timeout: options.timeoutMs ?? 20_000, killSignal: 'SIGKILL', env: { ...process.env, ...options.env }, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
        resolve({ code, signal: (error?.signal as NodeJS.Signals | undefined) ?? null, stdout, stderr });
      },
    );
  });
}
