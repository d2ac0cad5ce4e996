/**
 * Every refusal the API makes, as data: the HTTP status and a stable machine-readable code.
 * Messages never echo user content (file names, field values, bytes) so logs stay clean.
 */
export type ErrorCode =
  | 'empty_body'
  | 'bad_image'
  | 'body_too_large'
  | 'body_timeout'
  | 'image_too_large'
  | 'unsupported_media_type'
  | 'missing_field'
  | 'bad_request'
  | 'not_found'
  | 'method_not_allowed'
  | 'model_unavailable'
  | 'busy'
  | 'internal';

export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly status: 400 | 404 | 405 | 408 | 413 | 415 | 422 | 500 | 503,
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface ErrorBody {
  error: { code: ErrorCode; message: string };
}

export const errorBody = (code: ErrorCode, message: string): ErrorBody => ({ error: { code, message } });
