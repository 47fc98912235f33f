import type { Pool } from 'pg';
import { ConflictError, ValidationError } from '../core/errors.js';
import { EMAIL_RE } from '../core/names.js';
import { generatePassword, hashPassword, MIN_PASSWORD_LENGTH } from '../domain/passwords.js';

export interface User {
  id: string;
  email: string;
  isAdmin: boolean;
  createdAt: string;
}

interface UserRow {
  id: string;
  email: string;
  is_admin: boolean;
  created_at: Date;
}

export function toUser(row: UserRow): User {
  return {
    id: String(row.id),
    email: row.email,
    isAdmin: row.is_admin,
    createdAt: row.created_at.toISOString(),
  };
}

function checkEmail(email: unknown): string {
  if (typeof email !== 'string' || !EMAIL_RE.test(email) || email.length > 254) {
    throw new ValidationError(`Invalid email address ${JSON.stringify(email)}.`, {
      hint: 'Give an address such as ada@example.com.',
    });
  }
  return email.toLowerCase();
}

function checkPassword(password: unknown): string {
  if (typeof password !== 'string' || password.length < MIN_PASSWORD_LENGTH) {
    throw new ValidationError(`A password must be at least ${MIN_PASSWORD_LENGTH} characters long.`, {
      hint: 'Choose a longer password, or leave it out to have one generated.',
    });
  }
  return password;
}

/** Creates a user; when no password is given one is generated and returned once. */
export async function createUser(
  db: Pool,
  input: { email: unknown; password?: unknown; isAdmin?: boolean },
): Promise<{ user: User; generatedPassword?: string }> {
  const email = checkEmail(input.email);
  const generated = input.password === undefined || input.password === null ? generatePassword() : undefined;
  const password = checkPassword(generated ?? input.password);
  const hash = await hashPassword(password);
  const res = await db.query<UserRow>(
    `INSERT INTO users (email, password_hash, is_admin) VALUES ($1, $2, $3)
     ON CONFLICT DO NOTHING RETURNING id, email, is_admin, created_at`,
    [email, hash, Boolean(input.isAdmin)],
  );
  const row = res.rows[0];
  if (!row) throw new ConflictError(`A user with email ${email} already exists.`, 'Pick another address.');
  return generated ? { user: toUser(row), generatedPassword: generated } : { user: toUser(row) };
}

export async function listUsers(db: Pool): Promise<User[]> {
  const res = await db.query<UserRow>('SELECT id, email, is_admin, created_at FROM users ORDER BY id');
  return res.rows.map(toUser);
}

/**
 * The first start creates an admin. The password comes from RORO_ADMIN_PASSWORD or is generated;
 * the caller keeps a generated one in a 0600 file and shows it once.
 */
export async function ensureAdmin(
  db: Pool,
  email: string,
  password: string | undefined,
): Promise<{ created: boolean; generatedPassword?: string }> {
  const existing = await db.query('SELECT 1 FROM users WHERE is_admin LIMIT 1');
  if (existing.rowCount) return { created: false };
  const res = await createUser(db, { email, password, isAdmin: true });
  return res.generatedPassword
    ? { created: true, generatedPassword: res.generatedPassword }
    : { created: true };
}
