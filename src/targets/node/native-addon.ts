/**
 * Where leakscan's stack-capture addon (native/, built by `npm install`
 * through node-pre-gyp) lives, and whether it can serve a given Node ABI.
 * The agent itself picks the build for the ABI of the process it runs in
 * (`process.versions.modules`); an addon built for another ABI is never
 * loaded.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { packagePath } from '../../util/package-root.js';

/**
 * The directory node-pre-gyp installs builds into, one subdirectory per ABI
 * ("node-v115-linux-x64"); LEAKSCAN_NATIVE_DIR points elsewhere (builds
 * made for the Node of the services to attach to).
 */
export const nativeBindingDir = process.env.LEAKSCAN_NATIVE_DIR || packagePath('native', 'lib', 'binding');

export function nativeAddonPath(abi: string, platform: string = process.platform, arch: string = process.arch): string {
  return join(nativeBindingDir, `node-v${abi}-${platform}-${arch}`, 'leakscan_native.node');
}

export interface NativeAddonStatus {
  available: boolean;
  path: string;
  /** Why not, or what was checked. */
  detail: string;
}

/** Whether an addon for this ABI exists and loads (loaded here only if it is this process's own ABI). */
export function nativeAddonStatus(abi: string = process.versions.modules): NativeAddonStatus {
  const path = nativeAddonPath(abi);
  if (!existsSync(path)) {
    return {
      available: false,
      path,
      detail: `no addon built for Node ABI ${abi} (npm install builds one for the Node that runs it; it needs a C++ compiler and Node's headers)`,
    };
  }
  if (abi !== process.versions.modules) return { available: true, path, detail: `built for Node ABI ${abi}` };
  try {
    const module = { exports: {} as Record<string, unknown> };
    process.dlopen(module, path);
    const missing = ['capture', 'place', 'promiseState', 'symbols', 'reset'].filter((name) => typeof module.exports[name] !== 'function');
    if (missing.length > 0) return { available: false, path, detail: `the addon lacks ${missing.join(', ')} (built from an older leakscan? run npm rebuild)` };
    return { available: true, path, detail: `loads in Node ${process.version} (ABI ${abi})` };
  } catch (error) {
    return { available: false, path, detail: `the addon does not load: ${(error as Error).message}` };
  }
}
