import { useEffect, useRef, useState } from 'preact/hooks';
import { send } from '../api';
import { Problem, useAction } from '../ui';

/** DELETE /v1/users/:email's answer. */
export interface Removed {
  email: string;
  deletedProjects: string[];
  transferredProjects: string[];
  transferredTo?: string;
  revokedTokens: number;
}

type Projects = '' | 'delete' | 'transfer';

/**
 * The confirmation of a user's removal, as `roro users:remove` does it: their tokens are revoked
 * at once, and projects they own are never left without an owner, so the removal is refused while
 * they own any unless they are deleted or given to another user.
 */
export function RemoveUser({
  email,
  onDone,
  onCancel,
}: {
  email: string;
  onDone: (removed: Removed) => void;
  onCancel: () => void;
}) {
  const [projects, setProjects] = useState<Projects>('');
  const [to, setTo] = useState('');
  const action = useAction();
  // The confirmation takes the focus, as the rollback's does.
  const confirm = useRef<HTMLButtonElement>(null);
  useEffect(() => confirm.current?.focus(), [email]);
  const remove = (e: Event) => {
    e.preventDefault();
    void action.run(async () => {
      const q = new URLSearchParams(projects ? { projects, ...(projects === 'transfer' ? { to } : {}) } : {});
      const query = q.toString() ? `?${q.toString()}` : '';
      const res = await send<{ removed: Removed }>('DELETE', `/users/${encodeURIComponent(email)}${query}`);
      onDone(res.removed);
    });
  };
  return (
    <div class="confirm" role="alertdialog" aria-labelledby="confirm-remove">
      <form onSubmit={remove}>
        <p id="confirm-remove">
          Remove {email}? They are signed out everywhere at once (their API tokens are revoked).
        </p>
        <label>
          Projects they own
          <select value={projects} onChange={(e) => setProjects(e.currentTarget.value as Projects)}>
            <option value="">Refuse if they own any</option>
            <option value="delete">Delete them, with their volumes</option>
            <option value="transfer">Give them to another user</option>
          </select>
        </label>
        {projects === 'transfer' && (
          <label>
            New owner's email
            <input type="email" required value={to} onInput={(e) => setTo(e.currentTarget.value)} />
          </label>
        )}
        <Problem error={action.error} />
        <button type="submit" class="danger" disabled={action.busy} ref={confirm}>
          Confirm removal of {email}
        </button>{' '}
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </form>
    </div>
  );
}

/** One line saying what the removal did. */
export function removedText(r: Removed): string {
  const parts = [`Removed ${r.email}: ${r.revokedTokens} token${r.revokedTokens === 1 ? '' : 's'} revoked`];
  if (r.deletedProjects.length) parts.push(`projects deleted: ${r.deletedProjects.join(', ')}`);
  if (r.transferredProjects.length)
    parts.push(`projects given to ${r.transferredTo}: ${r.transferredProjects.join(', ')}`);
  return `${parts.join('; ')}.`;
}
