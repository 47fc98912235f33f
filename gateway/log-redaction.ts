/**
 * Query parameters whose value no gateway log shows: a notebook's `?token=`, and the like. A name
 * counts when it holds one of these words (`api_key`, `X-Auth`, `access_token`).
 */
export const SECRET_QUERY_NAMES = 'token|password|secret|key|auth|sig';

// A query string inside a log line: from `?` to the next space, quote or `#`.
const QUERY = /\?[^\s"#]*/g;
// A parameter name holding a secret word, followed by `=`; also URL-encoded, as in `next=%2Flab%3Ftoken%3D...`.
const SECRET_PARAM = new RegExp(
  `(?:^|[?&]|%3F|%26)[^=&\\s]*(?:${SECRET_QUERY_NAMES})[^=&\\s]*(?:=|%3D)`,
  'i',
);

/**
 * Replaces every query string of `text` that carries a secret parameter with `?[redacted]`. nginx
 * writes the request line, the upstream URI and the referrer into its error log as they came, and
 * offers no format for that log: the supervisor passes the gateway's output through this instead.
 */
export function redactSecretQueries(text: string): string {
  if (!text.includes('?')) return text;
  return text.replace(QUERY, (query) => (SECRET_PARAM.test(query) ? '?[redacted]' : query));
}
