/**
 * Which frames belong to a runtime rather than to the program: one place
 * for the rules that parsers, site naming, reports and the library API use.
 * (Telling the Go standard library from user code needs the whole snapshot:
 * see CodeClassifier in site.ts.)
 */
import type { Frame } from './format.js';

/** Go: the runtime's own functions ("runtime.gopark", "internal/runtime/maps..."), which the runtime hides at the top of profile stacks. */
export function isGoRuntimeFunction(fn: string): boolean {
  return fn.startsWith('runtime.') || fn.startsWith('internal/runtime/');
}

/** Node's own code: "node:internal/timers", "internal/...", or a frame with no file. */
export function isNodeInternalFrame(frame: Frame): boolean {
  return frame.file === '' || frame.file.startsWith('node:') || frame.file.startsWith('internal/');
}

/** Node code that is not the user's: Node's own, or a dependency under node_modules. */
export function isNodeLibraryFrame(frame: Frame): boolean {
  return isNodeInternalFrame(frame) || frame.file.includes('/node_modules/');
}

/**
 * Either runtime's machinery, left out when a suspect's user frames are
 * printed: Go's runtime and internal packages, Node's own code.
 */
export function isRuntimeFrame(frame: Frame): boolean {
  return frame.fn.startsWith('runtime.') || frame.fn.startsWith('internal/') || isNodeInternalFrame(frame);
}
