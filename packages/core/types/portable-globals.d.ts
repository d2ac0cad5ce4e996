// The few Web-platform globals core relies on, present in Node >= 18, browsers and workerd.
// Declared here instead of pulling in lib.dom so a DOM-only API cannot slip into core.
declare const performance: { now(): number } | undefined;
declare class TextDecoder {
  decode(input?: Uint8Array): string;
}
