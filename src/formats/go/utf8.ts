/** Strings were read byte-for-byte as latin1; reinterpret them as the UTF-8 Go wrote. */
export function decodeLatin1AsUtf8(s: string): string {
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) > 0x7f) return Buffer.from(s, 'latin1').toString('utf8');
  }
  return s;
}
