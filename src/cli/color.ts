/**
 * Colour in terminal output, as users set it: --color and --no-color on the
 * command line first, then NO_COLOR (https://no-color.org: present and not
 * empty means no colour), then whatever chalk finds the terminal supports
 * (FORCE_COLOR included). Output that is not a terminal gets no colour.
 */
import chalk from 'chalk';

export function applyColorChoice(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): void {
  const end = argv.indexOf('--');
  const options = end < 0 ? argv : argv.slice(0, end);
  const last = options.filter((arg) => arg === '--color' || arg === '--no-color').pop();
  if (last === '--no-color') chalk.level = 0;
  else if (last === '--color') chalk.level = Math.max(chalk.level, 1) as typeof chalk.level;
  else if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') chalk.level = 0;
}
