// The few Web-platform globals model relies on, present in Node >= 18, browsers and workerd.
// Declared here instead of pulling in lib.dom or @types/node, so a DOM-only or Node-only API
// cannot slip into model (the head kernels' WebAssembly and base64, the ONNX writer's UTF-8).
declare class TextEncoder {
  encode(input?: string): Uint8Array;
}
declare class TextDecoder {
  decode(input?: Uint8Array): string;
}
declare function atob(data: string): string;
declare namespace WebAssembly {
  class Module {
    constructor(bytes: BufferSource);
  }
  class Instance {
    constructor(module: Module, imports?: Record<string, Record<string, unknown>>);
    readonly exports: Record<string, unknown>;
  }
  class Memory {
    readonly buffer: ArrayBuffer;
    grow(delta: number): number;
  }
  function validate(bytes: BufferSource): boolean;
}
type BufferSource = ArrayBufferView | ArrayBuffer;
