/**
 * Progress for long work, on stderr only and only when stderr is a terminal:
 * one line rewritten in place, so logs and pipes stay clean.
 */
export class Progress {
  private readonly enabled: boolean;
  private lastLength = 0;
  private lastWrite = 0;

  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {
    this.enabled = stream.isTTY === true && !process.env.CI;
  }

  update(message: string): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.lastWrite < 100) return;
    this.lastWrite = now;
    const line = message.length > 100 ? `${message.slice(0, 97)}...` : message;
    this.stream.write(`\r${line}${' '.repeat(Math.max(0, this.lastLength - line.length))}`);
    this.lastLength = line.length;
  }

  done(): void {
    if (!this.enabled || this.lastLength === 0) return;
    this.stream.write(`\r${' '.repeat(this.lastLength)}\r`);
    this.lastLength = 0;
  }
}
