import chalk from 'chalk';
import type { Frame } from '../model/format.js';
import { baseName, functionName } from '../model/site.js';
import { safeText } from './format.js';

/** "main.(*server).wait  server.go:88", function in colour, place dimmed. */
export function describeFrame(frame: Frame): string {
  const where = frame.file ? `${baseName(frame.file)}${frame.line ? `:${frame.line}` : ''}` : '';
  return `${chalk.cyan(safeText(functionName(frame)))}${where ? chalk.dim(`  ${safeText(where)}`) : ''}`;
}
