export { packProject, DEFAULT_IGNORES, DEFAULT_MAX_PACK_BYTES, IGNORE_FILE } from './pack.js';
export type { PackOptions, PackResult } from './pack.js';
export { extractArchive, DEFAULT_MAX_EXTRACT_BYTES, DEFAULT_MAX_EXTRACT_FILES } from './extract.js';
export type { ExtractOptions, ExtractResult } from './extract.js';
export { verifyChecksum, sha256File } from './checksum.js';
