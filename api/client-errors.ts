import { RoroError, ValidationError } from '../core/errors.js';

/**
 * Errors raised below the routes that are the client's fault: the body parser's (charset,
 * Content-Encoding, size, JSON), the router's (bad percent-encoding in the path) and
 * PostgreSQL's refusals of a value (a NUL in a string, a number out of range). Each becomes a
 * 4xx RoroError naming what to fix; anything else returns undefined and stays a 500.
 */
export function clientErrorOf(err: unknown): RoroError | undefined {
  const e = err as {
    type?: string;
    status?: number;
    expose?: boolean;
    charset?: string;
    code?: string;
    limit?: number;
  };
  if (!e || typeof e !== 'object') return undefined;
  switch (e.type) {
    case 'entity.parse.failed':
      return new ValidationError('The request body is not valid JSON.', {
        code: 'bad_json',
        hint: 'Send a JSON document with `Content-Type: application/json`.',
      });
    case 'entity.too.large':
      return new RoroError(
        `The request body is too large: this route takes at most ${e.limit ?? '?'} bytes of JSON.`,
        { code: 'too_large', status: 413, hint: 'Send a smaller body.' },
      );
    case 'charset.unsupported':
      return new RoroError(
        `The Content-Type header's charset ${JSON.stringify(e.charset ?? '')} is not supported for JSON.`,
        {
          code: 'unsupported_charset',
          status: 415,
          hint: 'Send JSON as UTF-8 (charset=utf-8, or no charset).',
        },
      );
    case 'encoding.unsupported':
      return new RoroError('The Content-Encoding header names an encoding the API does not accept.', {
        code: 'unsupported_encoding',
        status: 415,
        hint: 'Send the body uncompressed, or with Content-Encoding gzip, deflate or br.',
      });
  }
  if (err instanceof URIError && e.status === 400) {
    return new ValidationError(`The URL path is not valid percent-encoding: ${err.message}.`, {
      code: 'bad_url',
      hint: 'Encode each path segment with encodeURIComponent (a % must be followed by two hex digits of UTF-8).',
    });
  }
  // http-errors raised by the body parser for the client (aborted, bad length, bad gzip data).
  if (typeof e.status === 'number' && e.status >= 400 && e.status < 500 && e.expose === true) {
    return new RoroError(`The request body could not be read: ${(err as Error).message}.`, {
      code: 'bad_body',
      status: e.status,
      hint: 'Check the Content-Type, Content-Encoding and Content-Length headers against the body.',
    });
  }
  return pgClientError(e.code);
}

/** PostgreSQL's data exceptions for values a request carried (SQLSTATE class 22). */
function pgClientError(code: string | undefined): RoroError | undefined {
  switch (code) {
    case '22021': // character_not_in_repertoire: a NUL byte in a text value
    case '22P05': // untranslatable_character
      return new ValidationError(
        'A string in the request contains a NUL byte or a character PostgreSQL cannot store.',
        {
          code: 'bad_string',
          hint: 'Remove NUL (\\u0000) characters from the request.',
        },
      );
    case '22003': // numeric_value_out_of_range
      return new ValidationError('A number in the request is out of range.', {
        code: 'out_of_range',
        hint: 'Send whole numbers between 0 and 2147483647.',
      });
  }
  return undefined;
}
