import chalk from 'chalk';
import type { Frame } from '../model/format.js';
import { baseName, functionName } from '../model/site.js';
import { safeText } from './format.js';

/** "server.go:88": where a frame is, by file name and line; "" without a file. */
export function frameWhere(frame: Frame): string {
  return frame.file ? `${baseName(frame.file)}${frame.line ? `:${frame.line}` : ''}` : '';
}

/** "main.(*server).wait  server.go:88", function in colour, place dimmed. */
export function describeFrame(frame: Frame): string {
  const where = frameWhere(frame);
  return `${chalk.cyan(safeText(functionName(frame)))}${where ? chalk.dim(`  ${safeText(where)}`) : ''}`;
}
