/** "prefix-20261122-101500": names for output that must not overwrite earlier runs. */
export function timestampName(prefix: string, at: Date = new Date()): string {
  const stamp = at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, '')
    .replace('T', '-');
  return `${prefix}-${stamp}`;
}
