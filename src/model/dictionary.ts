/**
 * Dictionaries whose keys come from a target or a file (pprof label keys,
 * wait reasons, resource types). With an ordinary `{}`, the key "__proto__"
 * is swallowed by the prototype setter and "constructor" or "toString" read
 * as present when they are not. A null-prototype object has no such keys:
 * every string is a plain key, and JSON.stringify writes it as it is.
 */
export type Dictionary<V> = Record<string, V>;

export function emptyDictionary<V>(): Dictionary<V> {
  return Object.create(null) as Dictionary<V>;
}

/** A null-prototype copy of own entries (what `{ ...from }` would copy). */
export function copyDictionary<V>(from: Readonly<Dictionary<V>> | undefined): Dictionary<V> {
  const copy = emptyDictionary<V>();
  if (from !== undefined) for (const key of Object.keys(from)) copy[key] = from[key]!;
  return copy;
}

/** The value of an own key, never one inherited from Object.prototype. */
export function ownValue<V>(from: Readonly<Dictionary<V>>, key: string): V | undefined {
  return Object.hasOwn(from, key) ? from[key] : undefined;
}
