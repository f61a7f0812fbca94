/**
 * The part of the WebAssembly JavaScript API that simd-scan.ts uses. Node.js provides the
 * global, but its type definitions come with TypeScript's DOM library, which this project does
 * not load.
 */
declare namespace WebAssembly {
  class Memory {
    constructor(descriptor: { initial: number; maximum?: number });
    readonly buffer: ArrayBuffer;
    grow(delta: number): number;
  }

  class Module {
    constructor(bytes: Uint8Array);
  }

  class Instance {
    constructor(module: Module, imports?: Record<string, Record<string, unknown>>);
    readonly exports: Record<string, unknown>;
  }
}
