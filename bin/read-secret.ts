import { createInterface } from 'node:readline';

/**
 * Reads one line without echo from a terminal, or the first line of standard input when
 * it is a pipe; secrets never come from arguments, where `ps` and shell history keep them.
 */
export async function readSecret(prompt: string): Promise<string> {
  const input = process.stdin;
  if (!input.isTTY) {
    const lines = createInterface({ input });
    for await (const line of lines) {
      lines.close();
      return line;
    }
    return '';
  }

  process.stderr.write(prompt);
  input.setRawMode(true);
  return new Promise((resolve) => {
    let secret = '';
    const onData = (chunk: Buffer) => {
      for (const char of chunk.toString('utf8')) {
        if (char === '\r' || char === '\n' || char === '\u0004') {
          input.setRawMode(false);
          input.off('data', onData);
          input.pause();
          process.stderr.write('\n');
          resolve(secret);
          return;
        }
        if (char === '\u0003') process.exit(130);
        secret = char === '\u007f' ? secret.slice(0, -1) : secret + char;
      }
    };
    input.on('data', onData);
    input.resume();
  });
}
