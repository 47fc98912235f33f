import { masterKey, open, seal } from './secrets-box.js';

/** The token is sealed with the config key, bound to the notebook's id. */
export const sealToken = (home: string, id: string, token: string) =>
  seal(masterKey(home), token, `notebook:${id}`);
export const openToken = (home: string, id: string, sealed: string) =>
  open(masterKey(home), sealed, `notebook:${id}`);
