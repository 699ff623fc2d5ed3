/** The noun for a count, singular for 1 only: "1 goroutine", "3 goroutines". Used by the analysis's explanations and every report. */
export function pluralWord(n: number, one: string, many = `${one}s`): string {
  return n === 1 ? one : many;
}
