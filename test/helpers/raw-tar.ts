/** Hand-written ustar archives, so tests can say things a well-behaved packer refuses to. */
export interface RawEntry {
  name: string;
  type?: string; // ustar typeflag: '0' file, '2' symlink, '1' hard link, '3' char, '5' dir, '6' fifo
  body?: Buffer;
  size?: number; // declared size when the body is streamed separately
  linkname?: string;
  mode?: number;
}

export function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

/** A raw ustar header, written by hand so the test can say things a well-behaved packer refuses to. */
export function header(e: RawEntry): Buffer {
  const block = Buffer.alloc(512);
  block.write(e.name, 0, 100, 'utf8');
  block.write(octal(e.mode ?? 0o644, 8), 100, 'ascii');
  block.write(octal(0, 8), 108, 'ascii');
  block.write(octal(0, 8), 116, 'ascii');
  block.write(octal(e.size ?? e.body?.length ?? 0, 12), 124, 'ascii');
  block.write(octal(946684800, 12), 136, 'ascii');
  block.write(e.type ?? '0', 156, 'ascii');
  block.write(e.linkname ?? '', 157, 100, 'utf8');
  block.write('ustar\u000000', 257, 'ascii');
  block.fill(' ', 148, 156);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(octal(sum, 7) + ' ', 148, 'ascii');
  return block;
}

export function tarOf(entries: RawEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    parts.push(header(e));
    if (e.body) parts.push(e.body, Buffer.alloc((512 - (e.body.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}
