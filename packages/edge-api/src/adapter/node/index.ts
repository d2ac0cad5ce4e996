/**
 * `@ferry/edge-api/node`: the Ferry edge API on Node (onnxruntime-node for inference, sharp for
 * decoding): the app (app.ts) and a server for it (start-server.ts).
 */
export { createNodeApp, createNodeModelLoader, type NodeAppOptions } from './app.js';
export { decodeUpload, decodeWithSharp } from './decode-sharp.js';
export {
  type NodeServer,
  ServerOptionsError,
  type StartNodeServerOptions,
  startNodeServer,
} from './start-server.js';
export { type StaticSite, type StaticSiteOptions, serveStaticSite } from './static-site.js';
