import yaml from 'js-yaml';

/**
 * Where things are in a YAML document, for roro.yml's line:column messages: js-yaml's `listener`
 * hook reports every node as it opens and closes, so one pass of the same parser that produces the
 * values also yields their offsets. Also turns js-yaml's syntax errors into issues with a fix.
 */

export interface Issue {
  /** Where in the document, e.g. `services[0].function`; empty for a YAML syntax error. */
  path: string;
  message: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  /** The fix, one sentence. */
  hint: string;
}

/** Thrown by loadWithPositions when the document has more nodes than allowed. */
export class TooManyNodes extends Error {
  constructor(
    readonly limit: number,
    readonly position: number,
  ) {
    super(`more than ${limit} YAML nodes`);
  }
}

// ---------- positions ----------

interface YamlNode {
  open: number;
  kind: string | null;
  result: unknown;
  children: YamlNode[];
}

export interface Spot {
  key?: number;
  value: number;
}

/** Loads the document and maps each path (`services[0].name`) to the offsets of its key and value. */
export function loadWithPositions(
  text: string,
  filename: string,
  maxNodes = Infinity,
): { doc: unknown; spots: Map<string, Spot> } {
  const stack: YamlNode[] = [{ open: 0, kind: null, result: undefined, children: [] }];
  let nodes = 0;
  const doc: unknown = yaml.load(text, {
    filename,
    listener(event, state) {
      if (event === 'open') {
        // Stops a document of millions of keys after the first few thousand, not after parsing all.
        if (++nodes > maxNodes) throw new TooManyNodes(maxNodes, state.position);
        stack.push({ open: state.position, kind: null, result: undefined, children: [] });
        return;
      }
      const node = stack.pop()!;
      node.kind = state.kind;
      node.result = state.result;
      stack[stack.length - 1]?.children.push(node);
    },
  });
  const spots = new Map<string, Spot>();
  const root = stack[0]?.children[0];
  if (root) indexNode(text, root, '', spots);
  return { doc, spots };
}

/** js-yaml opens a node before the blanks and comments that precede it; skip them. */
function startOf(text: string, offset: number): number {
  let i = offset;
  for (let guard = 0; guard < text.length && i < text.length; guard++) {
    const ch = text[i];
    if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r') i++;
    else if (ch === '#') while (i < text.length && text[i] !== '\n') i++;
    else break;
  }
  return i;
}

function indexNode(text: string, node: YamlNode, path: string, spots: Map<string, Spot>, key?: number): void {
  // `key:` with nothing after it: point at the key, not at the next line.
  const blank = node.result === null && key !== undefined;
  spots.set(path, { key, value: blank ? key : startOf(text, node.open) });
  if (node.kind === 'mapping') {
    for (let i = 0; i + 1 < node.children.length; i += 2) {
      const k = node.children[i]!;
      const child = path === '' ? String(k.result) : `${path}.${String(k.result)}`;
      indexNode(text, node.children[i + 1]!, child, spots, startOf(text, k.open));
    }
  } else if (node.kind === 'sequence') {
    node.children.forEach((item, i) => indexNode(text, item, `${path}[${i}]`, spots));
  }
}

export function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function parentPath(path: string): string {
  return path.replace(/(?:\.[^.[\]]+|\[\d+\])$/, '');
}

export class Locator {
  private readonly lineStarts: number[] = [0];
  constructor(
    text: string,
    private readonly spots: Map<string, Spot>,
  ) {
    for (let i = 0; i < text.length; i++) if (text[i] === '\n') this.lineStarts.push(i + 1);
  }

  lineCol(offset: number): { line: number; column: number } {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - this.lineStarts[lo]! + 1 };
  }

  /** The value's position (or the key's); a missing path falls back to its nearest present parent. */
  find(path: string, at: 'key' | 'value'): { line: number; column: number } {
    let p = path;
    for (let guard = 0; guard < 100; guard++) {
      const spot = this.spots.get(p);
      if (spot) return this.lineCol(at === 'key' ? (spot.key ?? spot.value) : spot.value);
      if (p === '') break;
      p = parentPath(p);
    }
    return { line: 1, column: 1 };
  }
}

// ---------- syntax errors ----------

const KEY_LINE_RE = /^(\s*)([A-Za-z_][\w-]*)\s*:/;
const ITEM_LINE_RE = /^(\s*)-\s+([A-Za-z_][\w-]*)\s*:/;

/** Turns js-yaml's first syntax error into an issue whose fix names the likely mistake. */
/** The schema's key lists, so a misplaced key can be named with where it belongs. */
export interface KnownKeys {
  top: readonly string[];
  service: readonly string[];
  task: readonly string[];
}

export function syntaxIssue(text: string, err: yaml.YAMLException, keys: KnownKeys): Issue {
  const lines = text.split('\n');
  const line0 = err.mark?.line ?? 0;
  const base = { path: '', line: line0 + 1, column: (err.mark?.column ?? 0) + 1 };
  const reason = err.reason || 'invalid YAML';
  if (/tab/i.test(reason)) {
    return {
      ...base,
      message: reason,
      hint: 'indent with spaces only; replace the tab characters on this line',
    };
  }
  if (/duplicated mapping key/.test(reason)) {
    const dup = KEY_LINE_RE.exec(lines[line0] ?? '')?.[2];
    return {
      ...base,
      message: dup ? `${reason} "${dup}"` : reason,
      hint: 'each key may appear once per mapping; remove or rename the repeated key',
    };
  }
  const key = KEY_LINE_RE.exec(lines[line0] ?? '');
  const item = key && findItemAbove(lines, line0);
  const name = key?.[2] ?? '';
  if (key && keys.top.includes(name) && key[1] !== '') {
    const hint = `remove the indentation before "${name}" so it starts at column 1`;
    return { ...base, message: `${reason}: "${name}" is a top-level key`, hint };
  }
  const own = item?.noun === 'service' ? keys.service : item?.noun === 'task' ? keys.task : [name];
  if (key && item && key[1]!.length !== item.column && own.includes(name)) {
    return {
      ...base,
      message: `${reason}: "${name}" must be indented under the ${item.noun} that starts on line ${item.line}, aligned with "${item.key}"`,
      hint: `indent "${name}" to column ${item.column + 1}, the column of "${item.key}" on line ${item.line}`,
    };
  }
  if (/indentation/.test(reason)) {
    return {
      ...base,
      message: reason,
      hint: 'indent this line with spaces so it lines up with the other keys of its block',
    };
  }
  return {
    ...base,
    message: reason,
    hint: 'check the YAML on this line; quote values that contain ": " or start with *, &, !, {, [ or #',
  };
}

/** The nearest `- key:` line above, the list item a mis-indented key most likely belongs to. */
function findItemAbove(
  lines: string[],
  line0: number,
): { line: number; column: number; key: string; noun: string } | undefined {
  for (let i = line0 - 1; i >= 0 && i >= line0 - 200; i--) {
    const m = ITEM_LINE_RE.exec(lines[i] ?? '');
    if (!m) continue;
    const column = (lines[i] ?? '').indexOf(m[2]!, m[1]!.length + 1);
    let noun = 'list item';
    for (let j = i - 1; j >= 0; j--) {
      const section = /^(services|tasks)\s*:/.exec(lines[j] ?? '');
      if (section) noun = section[1] === 'services' ? 'service' : 'task';
      if (section || /^\S/.test(lines[j] ?? '')) break;
    }
    return { line: i + 1, column, key: m[2]!, noun };
  }
  return undefined;
}
