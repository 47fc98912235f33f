import readline from 'node:readline';
import { ConfigError } from '../core/errors.js';

export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/** Asks on the terminal; `secret` hides what is typed. Without a TTY it refuses with the flag to use. */
export async function ask(question: string, opts: { secret?: boolean; flag: string }): Promise<string> {
  if (!process.stdin.isTTY) {
    throw new ConfigError(
      `Cannot prompt for ${question.replace(/:\s*$/, '').toLowerCase()}: no terminal.`,
      `Pass ${opts.flag}.`,
    );
  }
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  if (opts.secret) {
    const rlAny = rl as unknown as { _writeToOutput: (s: string) => void; output: NodeJS.WriteStream };
    rlAny._writeToOutput = (s: string) => {
      if (s.startsWith(question)) rlAny.output.write(question);
      else if (s.includes('\n')) rlAny.output.write('\n');
    };
  }
  try {
    return await new Promise<string>((resolve) => rl.question(question, resolve));
  } finally {
    rl.close();
  }
}

export async function confirm(question: string, flag: string): Promise<boolean> {
  const answer = await ask(`${question} [y/N] `, { flag });
  return /^y(es)?$/i.test(answer.trim());
}
